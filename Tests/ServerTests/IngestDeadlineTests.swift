import Domain
import Foundation
import Ledger
import LedgerbotTesting
import Logging
import Metrics
@testable import Server
import Testing

/// A ledger that stalls (a disk that stops answering): ingest answers 500 within its deadline,
/// so Chatwoot retries instead of handing the conversation to a human, and the delivery is still
/// stored once the ledger catches up, exactly once.
@Suite struct IngestDeadlineTests {
    @Test(.timeLimit(.minutes(1))) func aStalledAppendIsAnswered500InTimeAndStoredOnceTheLedgerCatchesUp() async throws {
        let temp = TemporaryDirectory()
        let (file, _) = try FileLedger.open(directory: temp.ledgerDirectory)
        let stalling = StallingLedger(base: file)
        let ingest = makeIngest(ledger: stalling, deadline: .milliseconds(300))
        let delivery = WebhookDelivery(body: try chatwootFixture("webhook-message_created-incoming.json"), contentType: "application/json",
                                       deliveryID: "5f1c0a7e-7d2b-4a0e-9c61-3d1f2b8e4a10")

        await stalling.stall()
        let clock = ContinuousClock()
        let start = clock.now
        let first = await ingest.ingest(delivery)
        // Chatwoot's retry arrives while the first append still hangs: it waits behind it, in time too.
        let retry = await ingest.ingest(delivery)
        let elapsed = clock.now - start
        #expect(first.httpStatus == 500 && retry.httpStatus == 500)
        // Two deadlines of 0.3 s; the bound only tells "answered" from "hung" on a loaded machine.
        #expect(elapsed < .seconds(20), "answered after \(elapsed)")

        await stalling.resume()
        // The stalled append completes; a later retry finds it stored (one that comes before it
        // does waits behind it, and may be answered 500 again on a loaded machine).
        var requests = 3
        var last = await ingest.ingest(delivery)
        for _ in 0..<100 where last.httpStatus != 200 {
            try await Task.sleep(for: .milliseconds(50))
            last = await ingest.ingest(delivery)
            requests += 1
        }
        guard case .duplicate(let original, _) = last else {
            Issue.record("the retry after the ledger caught up was \(last), not a duplicate")
            return
        }
        // Stored once; every other request, answered or not, is recorded as a duplicate of it.
        var events = try await file.read(from: 1, limit: 1000)
        for _ in 0..<200 where events.filter({ $0.type == EventType.webhookDuplicate }).count < requests - 1 {
            try await Task.sleep(for: .milliseconds(50))
            events = try await file.read(from: 1, limit: 1000)
        }
        #expect(events.filter { $0.type == EventType.webhookReceived }.map(\.seq) == [original])
        #expect(events.filter { $0.type == EventType.webhookReceived }.first?.body == delivery.body)
        #expect(events.filter { $0.type == EventType.webhookDuplicate }.count == requests - 1)
        await file.close()
    }

    /// What `settle` (tests, the demo) relies on: a delivery answered at its deadline, whose
    /// sender may have given up (Chatwoot does not retry a timeout), is still in progress until
    /// it is in the ledger. A demo run under load once went on before such a store landed.
    @Test(.timeLimit(.minutes(1))) func aStoreAnsweredAtItsDeadlineIsInProgressUntilItLands() async throws {
        let temp = TemporaryDirectory()
        let (file, _) = try FileLedger.open(directory: temp.ledgerDirectory)
        let stalling = StallingLedger(base: file)
        let ingest = makeIngest(ledger: stalling, deadline: .milliseconds(200))
        let delivery = WebhookDelivery(body: try chatwootFixture("webhook-message_created-incoming.json"), contentType: "application/json",
                                       deliveryID: "0b6f3c1e-2a4d-4f7e-8c90-1d2e3f4a5b6c")
        #expect(!ingest.isStoring)
        await stalling.stall()
        #expect(await ingest.ingest(delivery).httpStatus == 500)
        #expect(ingest.isStoring, "answered, not stored")
        #expect(await file.headSeq() == 0)
        await stalling.resume()
        for _ in 0..<400 where ingest.isStoring { try await Task.sleep(for: .milliseconds(25)) }
        #expect(!ingest.isStoring)
        #expect(await file.headSeq() == 1, "in the ledger once no longer in progress")
        await file.close()
    }

    @Test(.timeLimit(.minutes(1))) func aRejectionIsAnsweredInTimeAndRecordedOnceTheLedgerCatchesUp() async throws {
        let temp = TemporaryDirectory()
        let (file, _) = try FileLedger.open(directory: temp.ledgerDirectory)
        let stalling = StallingLedger(base: file)
        let ingest = makeIngest(ledger: stalling, deadline: .milliseconds(300))
        await stalling.stall()
        #expect(await ingest.ingest(WebhookDelivery(body: Array("[1,2]".utf8), deliveryID: "d-3")) == .rejected(status: 400, reason: "not_a_json_object"))
        await stalling.resume()
        var events = try await file.read(from: 1, limit: 10)
        for _ in 0..<200 where events.isEmpty {
            try await Task.sleep(for: .milliseconds(25))
            events = try await file.read(from: 1, limit: 10)
        }
        #expect(events.map(\.type) == [EventType.webhookRejected])
        #expect(events.first?.body == Array("[1,2]".utf8))
        await file.close()
    }

    @Test func aPromptAppendIsAnsweredAsBefore() async throws {
        let temp = TemporaryDirectory()
        let (file, _) = try FileLedger.open(directory: temp.ledgerDirectory)
        let ingest = makeIngest(ledger: file, deadline: .seconds(30))
        let delivery = WebhookDelivery(body: try chatwootFixture("webhook-message_created-incoming.json"), deliveryID: "d-1")
        #expect(await ingest.ingest(delivery) == .stored(seq: 1))
        #expect(await ingest.ingest(delivery) == .duplicate(of: 1, seq: 2))
        await file.close()
    }

    @Test(.timeLimit(.minutes(1))) func withoutADeadlineAStalledAppendIsWaitedFor() async throws {
        let temp = TemporaryDirectory()
        let (file, _) = try FileLedger.open(directory: temp.ledgerDirectory)
        let stalling = StallingLedger(base: file)
        let ingest = makeIngest(ledger: stalling, deadline: nil) // --ack-deadline 0, for Chatwoot before v4.11.2
        let delivery = WebhookDelivery(body: try chatwootFixture("webhook-message_created-incoming.json"), deliveryID: "d-2")
        await stalling.stall()
        let answer = Task { await ingest.ingest(delivery) }
        try await Task.sleep(for: .milliseconds(500))
        await stalling.resume()
        #expect(await answer.value == .stored(seq: 1))
        await file.close()
    }
}

@Suite struct DeadlineQueueTests {
    @Test(.timeLimit(.minutes(1))) func workThatOutlivesItsDeadlineIsAnsweredNilAndStillRunsToItsEnd() async throws {
        let queue = DeadlineQueue<Int>(deadline: .milliseconds(100), tick: .milliseconds(20))
        let gate = Gate()
        await gate.close()
        let finished = LockedBox(false)
        // The work cannot end before the gate opens, which is after the answer.
        let answer = await queue.first {
            await gate.pass()
            finished.value = true
            return 1
        }
        #expect(answer == nil)
        await gate.open()
        for _ in 0..<400 where !finished.value { try await Task.sleep(for: .milliseconds(25)) }
        #expect(finished.value)
    }

    @Test(.timeLimit(.minutes(1))) func workInTimeIsAnsweredWithItsValueEvenWhenManyWait() async throws {
        // A deadline no loaded machine reaches: every caller gets its value.
        let patient = DeadlineQueue<Int>(deadline: .seconds(30), tick: .milliseconds(20))
        let answers = await withTaskGroup(of: Int?.self) { group in
            for i in 0..<1000 { group.addTask { await patient.first { i } } }
            return await group.reduce(into: [Int?]()) { $0.append($1) }
        }
        #expect(Set(answers.compactMap { $0 }) == Set(0..<1000))
    }

    @Test(.timeLimit(.minutes(1))) func theTimerStopsWhenNobodyWaitsAndStartsAgain() async throws {
        let queue = DeadlineQueue<Int>(deadline: .milliseconds(100), tick: .milliseconds(20))
        let gate = Gate()
        await gate.close()
        #expect(await queue.first { await gate.pass(); return 0 } == nil)
        try await Task.sleep(for: .milliseconds(200)) // nobody waits: the timer has stopped
        #expect(await queue.first { await gate.pass(); return 0 } == nil)
        await gate.open()
        #expect(await queue.first { 5 } == 5)
    }
}
