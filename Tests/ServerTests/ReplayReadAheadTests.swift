import Domain
import Foundation
import Engine
import Ledger
import LedgerbotTesting
import Testing

/// `Replayer.Options.threads`: the ledger read ahead on a second thread must give what reading on
/// the calling thread gives — every event once, in order — and fail where that fails.
struct ReplayReadAheadTests {
    /// 6,000 events in 60 frames: more than the read-ahead's window of batches, so the reader
    /// thread waits for the replay many times.
    private func write(_ directory: LedgerDirectory) async throws {
        let (ledger, _) = try FileLedger.open(directory: directory)
        for frame in 0..<60 {
            let drafts = (0..<100).map { index in
                EventDraft(stream: "1/\(frame)", type: "test.event", time: Int64(frame * 100 + index), body: Array("{\"n\":\(index)}".utf8))
            }
            _ = try await ledger.append(drafts)
        }
        await ledger.close()
    }

    private func replay(_ directory: LedgerDirectory, threads: Int) async throws -> ReplayReport {
        var options = Replayer.Options()
        options.threads = threads
        return try await Replayer(directory: directory, options: options).run()
    }

    @Test func readingAheadReplaysEveryEventInOrder() async throws {
        let temp = TemporaryDirectory()
        try await write(temp.ledgerDirectory)
        let one = try await replay(temp.ledgerDirectory, threads: 1)
        let two = try await replay(temp.ledgerDirectory, threads: 2)
        #expect(one.events == 6_000 && one.headSeq == 6_000)
        #expect(two.events == one.events && two.headSeq == one.headSeq)
    }

    /// A cancelled replay stops with `CancellationError` (checked every 4,096 events, the first
    /// included) instead of reading the whole ledger; with a second thread that thread stops too.
    @Test(arguments: [1, 2])
    func aCancelledReplayStops(threads: Int) async throws {
        let temp = TemporaryDirectory()
        try await write(temp.ledgerDirectory)
        let directory = temp.ledgerDirectory
        let task = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return try await replay(directory, threads: threads)
        }
        await #expect(throws: CancellationError.self) { _ = try await task.value }
    }

    @Test func aDamagedFrameFailsTheSameWayWithEitherThreadCount() async throws {
        let temp = TemporaryDirectory()
        let directory = temp.ledgerDirectory
        try await write(directory)
        let segment = try #require(try FileManager.default.contentsOfDirectory(atPath: directory.ledgerPath).first { $0.hasSuffix(".lbs") })
        let url = URL(fileURLWithPath: directory.ledgerPath + "/" + segment)
        var bytes = try [UInt8](Data(contentsOf: url))
        bytes[bytes.count / 2] ^= 0x01 // a frame in the middle: events before it read, then the error
        try Data(bytes).write(to: url)
        var messages: [String] = []
        for threads in [1, 2] {
            do {
                _ = try await replay(directory, threads: threads)
                Issue.record("a damaged ledger replayed with \(threads) thread(s)")
            } catch let error as LedgerError {
                #expect(error.kind == .corrupted)
                messages.append(String(describing: error))
            }
        }
        #expect(messages.count == 2 && messages[0] == messages[1], "\(messages)")
    }

    /// Only a webhook's body may stay compressed while replay reads frame heads (segment
    /// format 2 stores every body that has a meta last): a decision or a policy activation that
    /// carries meta — an import can give any event one — is read whole, on either thread count.
    @Test func decisionsAndPoliciesWithMetaAreReadWholeWhileWebhookBodiesWait() async throws {
        let temp = TemporaryDirectory()
        let directory = temp.ledgerDirectory
        let snapshots = fixturesDirectory().deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("snapshots")
        let lines = try String(contentsOf: snapshots.appendingPathComponent("support-triage/ledger.jsonl"), encoding: .utf8).split(separator: "\n")
        var events = try lines.map { line in try Array(line.utf8).withUnsafeBytes { try JSONLines.decode($0) } }
        for index in events.indices where events[index].type != EventType.webhookReceived {
            events[index].meta = Array("{\"imported\":true}".utf8)
        }
        let decisions = events.filter { $0.type == EventType.decision }.count
        #expect(decisions > 5)
        let (ledger, _) = try FileLedger.open(directory: directory)
        _ = try await ledger.append(events.map(\.draft))
        await ledger.close()
        let cursor = try LedgerCursor(directory: directory, decoders: 0, deferringBodies: true)
        var deferredTypes = Set<String>()
        while let event = try cursor.next() {
            if event.isBodyDeferred { deferredTypes.insert(event.type) }
        }
        #expect(deferredTypes.contains(EventType.decision) && deferredTypes.contains(EventType.policyActivated), "\(deferredTypes)")
        for threads in [1, 2] {
            let report = try await replay(directory, threads: threads)
            #expect(report.events == events.count)
            #expect(report.compared == decisions && report.identical == decisions && report.changes.isEmpty, "\(threads) thread(s)")
        }
    }
}
