import Foundation
import Ledger
import LedgerbotTesting
import Testing

/// `LedgerImport` against a ledger another writer appends to meanwhile (a `serve` on the same
/// PostgreSQL ledger): causations are mapped for seqs that follow the head, so the import stops,
/// saying how far it got, instead of pointing them at the wrong events.
@Suite struct LedgerImportTests {
    /// A ledger that lets another writer append one event after the import's first batch.
    final class Interleaved: LedgerStore, @unchecked Sendable {
        let base: FileLedger
        private var appends = 0
        init(_ base: FileLedger) { self.base = base }
        var ledgerID: [UInt8] { base.ledgerID }
        func append(_ events: [EventDraft]) async throws -> ClosedRange<Seq> {
            appends += 1
            if appends == 2 { _ = try await base.append([EventDraft(stream: "1/9", type: "webhook.received", time: 1, body: Array("{}".utf8))]) }
            return try await base.append(events)
        }
        func read(from seq: Seq, limit: Int) async throws -> [LedgerEvent] { try await base.read(from: seq, limit: limit) }
        func headSeq() async -> Seq { await base.headSeq() }
        func committedHeadSeq() async throws -> Seq { try await base.committedHeadSeq() }
        func subscribe() -> AsyncStream<Seq> { base.subscribe() }
        func tail(from seq: Seq) throws -> any LedgerTailing { try base.tail(from: seq) }
        func close() async { await base.close() }
        func health() async -> LedgerHealth { await base.health() }
    }

    @Test func anotherWriterDuringTheImportStopsIt() async throws {
        let temp = TemporaryDirectory()
        var lines = ""
        for n in 1...6 {
            let event = LedgerEvent(seq: Seq(n), stream: "1/128", type: n % 2 == 0 ? "decision" : "webhook.received", time: 1_778_663_742_000_000 + Int64(n),
                                    causation: n % 2 == 0 ? Seq(n - 1) : nil, body: Array("{\"n\":\(n)}".utf8), meta: [])
            lines += String(decoding: JSONLines.encode(event), as: UTF8.self) + "\n"
        }
        let file = temp.path + "/in.jsonl"
        try lines.write(toFile: file, atomically: true, encoding: .utf8)
        let (base, _) = try FileLedger.open(directory: LedgerDirectory(dataPath: temp.path + "/data"))
        let ledger = Interleaved(base)
        do {
            _ = try await LedgerImport.run(path: file, into: ledger, batchBytes: 1) // one event per batch
            Issue.record("the import went on past another writer's append")
        } catch let error as LedgerError {
            #expect(error.message.contains("another writer appended") && error.message.contains("1 events were imported"), "\(error)")
        }
        // Nothing after the interleaved event has a causation pointing at the wrong event.
        let events = try await base.read(from: 1, limit: 100)
        #expect(events.map(\.stream) == ["1/128", "1/9", "1/128"])
        await base.close()
    }
}
