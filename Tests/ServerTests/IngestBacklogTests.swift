import Domain
import Foundation
import Ledger
import LedgerbotTesting
@testable import Server
import Testing

/// A stalled ledger keeps stores running after their requests were answered (at the
/// acknowledgement deadline). The backlog bounds what they hold: past its limit a delivery is
/// answered 429 at once, holds nothing, and is taken when Chatwoot retries it.
@Suite struct IngestBacklogTests {
    @Test(.timeLimit(.minutes(1))) func aFullBacklogAnswers429OverHTTPAndTakesTheRetryOnceTheLedgerCatchesUp() async throws {
        let temp = TemporaryDirectory()
        var configuration = ServerConfiguration()
        configuration.acknowledgementDeadline = .milliseconds(300)
        configuration.backlogLimit = 1 // an empty backlog admits one delivery of any size; then it is full
        let body = try chatwootFixture("webhook-message_created-incoming.json")
        let stallingLedger = LockedBox<StallingLedger?>(nil)
        try await ServerHarness.with(directory: temp.ledgerDirectory, configuration: configuration, ingestLedger: { file in
            let stalling = StallingLedger(base: file)
            stallingLedger.value = stalling
            return stalling
        }) { server in
            let stalling = try #require(stallingLedger.value)
            await stalling.stall()
            // Answered at the deadline; its store goes on waiting for the ledger, in the backlog.
            let waiting = try await server.post(body, headers: ["X-Chatwoot-Delivery": "first"])
            #expect(waiting.status == 500, "\(waiting.body)")
            let refused = try await server.post(body, headers: ["X-Chatwoot-Delivery": "second"])
            #expect(refused.status == 429 && refused.body.contains("backlog_full"), "\(refused.status) \(refused.body)")
            let metrics = try await server.get("/metrics").body
            #expect(metrics.contains(#"ledgerbot_webhooks_total{event="message_created",outcome="busy"} 1"#), "\(metrics)")

            await stalling.resume()
            // Chatwoot's retries: the refused delivery is taken once the first store has ended
            // (until then it may be refused again), and the first one is a duplicate by then.
            var retry = try await server.post(body, headers: ["X-Chatwoot-Delivery": "second"])
            for _ in 0..<200 where retry.status != 200 {
                try await Task.sleep(for: .milliseconds(25))
                retry = try await server.post(body, headers: ["X-Chatwoot-Delivery": "second"])
            }
            #expect(retry.status == 200 && retry.body.contains("stored"), "\(retry.body)")
            #expect(try await server.post(body, headers: ["X-Chatwoot-Delivery": "first"]).body.contains("duplicate"))
        }
        let events = try readLedger(temp.ledgerDirectory)
        let stored = events.filter { $0.type == EventType.webhookReceived }
        // Each stored once, byte for byte; a refusal is not recorded (the ledger is what stalled).
        #expect(stored.map { String(decoding: $0.meta, as: UTF8.self).contains("\"delivery\":\"first\"") } == [true, false])
        #expect(stored.map(\.body) == [body, body])
        #expect(!events.contains { $0.type == EventType.webhookRejected })
    }

    @Test func theBacklogAdmitsUpToItsLimitAndAlwaysOneWhenEmpty() {
        let backlog = IngestBacklog(limit: 100)
        #expect(backlog.admit(500) == .admitted(refusedBefore: 0), "an empty backlog takes a delivery larger than its limit")
        #expect(backlog.admit(1) == .refused(first: true))
        #expect(backlog.admit(1) == .refused(first: false))
        backlog.release(500)
        #expect(backlog.admit(60) == .admitted(refusedBefore: 2))
        #expect(backlog.admit(40) == .admitted(refusedBefore: 0))
        #expect(backlog.admit(1) == .refused(first: true))
        backlog.release(40)
        #expect(backlog.waitingBytes == 60)
        #expect(backlog.admit(40) == .admitted(refusedBefore: 1))
    }
}
