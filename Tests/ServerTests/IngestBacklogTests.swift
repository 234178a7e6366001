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
            #expect(try await server.post(body, headers: ["X-Chatwoot-Delivery": "zero"]).status == 200)
            await stalling.stall()
            // Answered at the deadline; its store goes on waiting for the ledger, in the backlog.
            let waiting = try await server.post(body, headers: ["X-Chatwoot-Delivery": "first"])
            #expect(waiting.status == 500, "\(waiting.body)")
            let refused = try await server.post(body, headers: ["X-Chatwoot-Delivery": "second"])
            #expect(refused.status == 429 && refused.body.contains("backlog_full"), "\(refused.status) \(refused.body)")
            // While it is full: a redelivery of a stored delivery is still acknowledged, and a bad
            // body still gets its own answer (both unrecorded).
            let redelivered = try await server.post(body, headers: ["X-Chatwoot-Delivery": "zero"])
            #expect(redelivered.status == 200 && redelivered.body.contains("duplicate"), "\(redelivered.body)")
            #expect(try await server.post(Array("[1]".utf8)).status == 400)
            let metrics = try await server.get("/metrics").body
            #expect(metrics.contains(#"ledgerbot_webhooks_total{event="message_created",outcome="busy"} 1"#), "\(metrics)")

            await stalling.resume()
            // Chatwoot's retries: the refused delivery is taken once the first store has ended
            // (until then it may be refused again), and the first one is a duplicate by then.
            let clock = ContinuousClock()
            let giveUp = clock.now + .seconds(30)
            var retry = try await server.post(body, headers: ["X-Chatwoot-Delivery": "second"])
            while retry.status != 200, clock.now < giveUp {
                try await Task.sleep(for: .milliseconds(25))
                retry = try await server.post(body, headers: ["X-Chatwoot-Delivery": "second"])
            }
            #expect(retry.status == 200 && retry.body.contains("stored"), "\(retry.body)")
            #expect(try await server.post(body, headers: ["X-Chatwoot-Delivery": "first"]).body.contains("duplicate"))
            // Every path gave back what it took: with a limit of one delivery, a leak would refuse this.
            #expect(try await server.post(body, headers: ["X-Chatwoot-Delivery": "third"]).body.contains("stored"))
        }
        let events = try readLedger(temp.ledgerDirectory)
        let stored = events.filter { $0.type == EventType.webhookReceived }
        // Each stored once, byte for byte; a refusal is not recorded (the ledger is what stalled).
        let deliveries = stored.map { String(decoding: $0.meta, as: UTF8.self) }
        #expect(["zero", "first", "second", "third"].map { id in deliveries.filter { $0.contains("\"delivery\":\"\(id)\"") }.count } == [1, 1, 1, 1], "\(deliveries)")
        #expect(stored.allSatisfy { $0.body == body })
        #expect(!events.contains { $0.type == EventType.webhookRejected })
    }

    @Test(.timeLimit(.minutes(1))) func aStoreThatFailsGivesItsPlaceBack() async throws {
        let temp = TemporaryDirectory()
        let (file, _) = try FileLedger.open(directory: temp.ledgerDirectory)
        let ledger = StallingLedger(base: file)
        let ingest = makeIngest(ledger: ledger, deadline: .seconds(30), backlogLimit: 1)
        let body = try chatwootFixture("webhook-message_created-incoming.json")
        ledger.fail(true)
        // Each is answered 500 (the ledger cannot write), not 429: the one before gave its place back.
        #expect(await ingest.ingest(WebhookDelivery(body: body, deliveryID: "a")).httpStatus == 500)
        #expect(await ingest.ingest(WebhookDelivery(body: Array("[]".utf8), deliveryID: "b")).httpStatus == 400)
        #expect(await ingest.ingest(WebhookDelivery(body: body, deliveryID: "a")).httpStatus == 500)
        ledger.fail(false)
        #expect(await ingest.ingest(WebhookDelivery(body: body, deliveryID: "a")) == .stored(seq: 1))
        await file.close()
    }

    @Test func theBacklogAdmitsUpToItsLimitAndAlwaysOneWhenEmpty() {
        let backlog = IngestBacklog(limit: 100)
        #expect(backlog.admit(500) == .admitted(refusedWhileFull: 0), "an empty backlog takes a delivery larger than its limit")
        #expect(backlog.admit(1) == .refused(first: true))
        #expect(backlog.admit(1) == .refused(first: false))
        backlog.release(500)
        // Room again, but it counts as full until it has drained to half its limit: no "drained" yet.
        #expect(backlog.admit(60) == .admitted(refusedWhileFull: 0))
        #expect(backlog.admit(41) == .refused(first: false))
        #expect(backlog.admit(40) == .admitted(refusedWhileFull: 0))
        backlog.release(60)
        backlog.release(40)
        #expect(backlog.waitingBytes == 0)
        #expect(backlog.admit(10) == .admitted(refusedWhileFull: 3))
        #expect(backlog.admit(95) == .refused(first: true))
    }
}
