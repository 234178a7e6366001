import Foundation
import Ledger
import LedgerbotTesting
import Testing

/// The ``LedgerStore`` contract, checked the same way on the file ledger and on PostgreSQL.
@Suite("Ledger store conformance")
struct LedgerConformanceTests {
    @Test("append returns consecutive seqs and read returns every field as appended", arguments: Backend.allCases)
    func roundTrip(_ backend: Backend) async throws {
        try await withStore(backend) { _, store in
            let batches: [[EventDraft]] = [
                [draft(#"{"event":"message_created","id":1}"#, meta: #"{"delivery":"a"}"#), draft("", stream: "", type: "empty")],
                [EventDraft(stream: "2/9", type: "binary", time: -5, causation: 1, body: (0...255).map { UInt8($0) } + [0, 0xFF], meta: [0, 1, 2])],
                [draft("x", causation: 3), draft(String(repeating: "ü", count: 50_000)), draft("last", type: "decision", causation: 2)],
            ]
            var ranges: [ClosedRange<Seq>] = []
            for batch in batches { ranges.append(try await store.append(batch)) }
            #expect(ranges == [1...2, 3...3, 4...6])
            #expect(await store.headSeq() == 6)
            let all = try await store.read(from: 1, limit: 100)
            #expect(all.map(\.draft) == batches.flatMap { $0 })
            #expect(all.map(\.seq) == Array(1...6))
            let middle = try await store.read(from: 4, limit: 2)
            #expect(middle.map(\.seq) == [4, 5])
            #expect(try await store.read(from: 7, limit: 10).isEmpty)
        }
    }

    @Test("concurrent appenders get gap-free seqs and each reads back exactly its own events", arguments: Backend.allCases)
    func concurrentAppenders(_ backend: Backend) async throws {
        try await withStore(backend) { _, store in
            let results = try await withThrowingTaskGroup(of: [(ClosedRange<Seq>, [EventDraft])].self) { group in
                for writer in 0..<48 {
                    group.addTask {
                        var mine: [(ClosedRange<Seq>, [EventDraft])] = []
                        for round in 0..<8 {
                            let batch = (0...(round % 3)).map { draft(#"{"writer":\#(writer),"round":\#(round),"i":\#($0)}"#, stream: "1/\(writer)") }
                            mine.append((try await store.append(batch), batch))
                        }
                        return mine
                    }
                }
                return try await group.reduce(into: []) { $0 += $1 }
            }
            let total = results.reduce(0) { $0 + $1.1.count }
            let sorted = results.map(\.0).sorted { $0.lowerBound < $1.lowerBound }
            #expect(sorted.first?.lowerBound == 1)
            for (a, b) in zip(sorted, sorted.dropFirst()) { #expect(b.lowerBound == a.upperBound + 1) }
            #expect(sorted.last?.upperBound == Seq(total))
            let stored = try await store.read(from: 1, limit: total + 10)
            #expect(stored.count == total)
            for (range, batch) in results {
                #expect(Array(stored[Int(range.lowerBound - 1)...Int(range.upperBound - 1)].map(\.draft)) == batch)
            }
        }
    }

    @Test("a reopened ledger keeps its id and head and continues after it", arguments: Backend.allCases)
    func reopen(_ backend: Backend) async throws {
        try await withStore(backend) { home, store in
            _ = try await store.append([draft("a"), draft("b")])
            let id = store.ledgerID
            await store.close()
            let reopened = try await home.open()
            #expect(reopened.ledgerID == id)
            #expect(id.count == 16)
            #expect(await reopened.headSeq() == 2)
            #expect(try await reopened.append([draft("c")]) == 3...3)
            #expect(try await reopened.read(from: 1, limit: 10).map { String(decoding: $0.body, as: UTF8.self) } == ["a", "b", "c"])
            await reopened.close()
        }
    }

    @Test("subscribers hear of new heads and a tail follows the growing ledger", arguments: Backend.allCases)
    func subscribeAndTail(_ backend: Backend) async throws {
        try await withStore(backend) { _, store in
            _ = try await store.append([draft("0")])
            var heads = store.subscribe().makeAsyncIterator()
            #expect(await heads.next() == 1)
            let tail = try store.tail(from: 1)
            #expect(try await tail.read(through: 1, limit: 10).map(\.seq) == [1])
            _ = try await store.append((1...5).map { draft("\($0)") })
            var seen: Seq = 1
            while seen < 6, let next = await heads.next() { seen = next }
            #expect(seen == 6)
            #expect(try await tail.read(through: 6, limit: 2).map(\.seq) == [2, 3])
            #expect(try await tail.read(through: 4, limit: 10).map(\.seq) == [4])
            #expect(try await tail.read(through: 6, limit: 10).map(\.seq) == [5, 6])
            #expect(tail.nextSeq == 7)
            #expect(try await tail.read(through: 6, limit: 10).isEmpty)
        }
    }

    @Test("invalid batches are refused whole and store nothing", arguments: Backend.allCases)
    func invalidInput(_ backend: Backend) async throws {
        try await withStore(backend) { _, store in
            _ = try await store.append([draft("kept")])
            await #expect(throws: LedgerError.self) { try await store.append([]) }
            do {
                _ = try await store.append([draft("fine"), draft("bad", causation: 0)])
                Issue.record("causation 0 was accepted")
            } catch let error as LedgerError {
                #expect(error.kind == .invalidArgument)
            }
            #expect(await store.headSeq() == 1)
            #expect(try await store.read(from: 1, limit: 10).count == 1)
        }
    }

    @Test("a closed ledger refuses appends", arguments: Backend.allCases)
    func closedRefuses(_ backend: Backend) async throws {
        guard let home = try await StoreHome.make(backend) else { return }
        let store = try await home.open()
        _ = try await store.append([draft("a")])
        await store.close()
        do {
            _ = try await store.append([draft("b")])
            Issue.record("append after close succeeded")
        } catch let error as LedgerError {
            #expect(error.kind == .closed)
        }
        await home.remove()
    }
}
