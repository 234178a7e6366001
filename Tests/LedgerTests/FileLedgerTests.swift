import Foundation
import LedgerbotTesting
import Testing
@testable import Ledger

@Suite struct FileLedgerTests {
    @Test func appendedEventsReadBackIdenticallyAfterReopen() async throws {
        let temp = TemporaryDirectory()
        let (ledger, report) = try FileLedger.open(directory: temp.ledger)
        #expect(report.headSeq == 0)
        var written: [LedgerEvent] = []
        for n in 1...50 {
            let batch = (0..<(n % 4 + 1)).map { draft(n * 10 + $0) }
            let range = try await ledger.append(batch)
            #expect(range.count == batch.count)
            written += zip(range, batch).map { LedgerEvent(seq: $0, draft: $1) }
        }
        #expect(await ledger.headSeq() == Seq(written.count))
        await ledger.close()

        #expect(try readAll(temp.ledger) == written)
        let (reopened, again) = try FileLedger.open(directory: temp.ledger)
        #expect(again.headSeq == Seq(written.count))
        #expect(again.truncated == nil)
        let next = try await reopened.append([draft(999)])
        #expect(next == Seq(written.count + 1)...Seq(written.count + 1))
        #expect(try await reopened.read(from: 3, limit: 2).map(\.seq) == [3, 4])
        await reopened.close()
    }

    /// After a failed fdatasync, a frame written meanwhile is not acknowledged by the next sync
    /// that happens to succeed (Linux reports a writeback error once): it sits behind bytes the
    /// kernel may have dropped. Both appends fail, and the ledger takes no more.
    @Test func aFrameWrittenWhileASyncFailsIsNotAcknowledged() async throws {
        let temp = TemporaryDirectory()
        let (ledger, _) = try FileLedger.open(directory: temp.ledger)
        _ = try await ledger.append([draft(1)])
        SegmentHandle.injectedSyncFailures.withLock { $0[temp.ledger.ledgerPath] = (.milliseconds(300), 1) }
        let first = Task { try await ledger.append([draft(2)]) }
        try await Task.sleep(for: .milliseconds(100)) // first is being synced (and will fail)
        let second = Task { try await ledger.append([draft(3)]) }
        await #expect(throws: LedgerError.self) { try await first.value }
        await #expect(throws: LedgerError.self, "written while the failing sync ran: not durable, not acknowledged") { try await second.value }
        await #expect(throws: LedgerError.self) { try await ledger.append([draft(4)]) }
        #expect(await ledger.headSeq() == 1)
        await ledger.close()
    }

    /// A rotation whose first write into the new segment fails still hands the retired segment
    /// and the new directory entry to the syncer — with the next frame that is written.
    @Test func aRotationWhoseFirstWriteFailsIsSyncedWithTheNextFrame() throws {
        let temp = TemporaryDirectory()
        try FileManager.default.createDirectory(atPath: temp.ledger.ledgerPath, withIntermediateDirectories: true)
        var configuration = LedgerConfiguration()
        configuration.segmentSize = 4096
        let writer = try SegmentWriter(directory: temp.ledger, ledgerID: Array(repeating: 7, count: 16), configuration: configuration,
                                       lastSegment: nil, nextSeq: 1, previousHash: FrameFormat.zeroHash)
        defer { writer.closeCurrent() }
        let deflater = try Deflater(level: 6, dictionary: configuration.dictionary.bytes)
        var generator = SystemRandomNumberGenerator()
        func frame() throws -> PreparedFrame { // 3 KB that do not compress: one frame a segment
            let body = (0..<3000).map { _ in UInt8.random(in: 0...255, using: &generator) }
            return try SegmentWriter.prepare([[EventDraft(stream: "1/1", type: "t", time: 1, body: body)]], deflater: deflater, maintainIndex: false)
        }
        let first = try writer.write(frame())
        #expect(first.createdSegment)
        SegmentHandle.injectedWriteFailures.withLock { $0[temp.ledger.ledgerPath] = 1 }
        #expect(throws: LedgerError.self) { try writer.write(frame()) } // rotates, then its first write fails
        let next = try writer.write(frame())
        #expect(next.createdSegment, "the new segment's directory entry is still to be synced")
        #expect(next.retired.map(\.name) == [first.handle.name], "and the segment it retired")
        #expect(next.handle.name != first.handle.name)
        let after = try writer.write(frame())
        #expect(!after.createdSegment || after.handle.name != next.handle.name)
        for handle in next.retired { handle.close() }
    }

    @Test func segmentsRotateAtTheConfiguredSizeAndStayReadable() async throws {
        let temp = TemporaryDirectory()
        var configuration = fastConfiguration()
        configuration.segmentSize = 4096
        let (ledger, _) = try FileLedger.open(directory: temp.ledger, configuration: configuration)
        for n in 1...200 { _ = try await ledger.append([draft(n, bytes: 300 + n)]) }
        await ledger.close()
        let names = try temp.ledger.segmentNames()
        #expect(names.count > 5)
        for name in names.dropLast() {
            #expect(try FileSystem.fileSize(temp.ledger.segmentPath(name)) <= 4096 + 1024)
        }
        let events = try readAll(temp.ledger)
        #expect(events.map(\.seq) == Array(1...200))
        #expect(events.last?.body == draft(200, bytes: 500).body)
        let report = try LedgerInspection.verify(directory: temp.ledger)
        #expect(report.isIntact)
        #expect(report.segments.count == names.count)
        // Reading from the middle starts in the right segment.
        let cursor = try LedgerCursor(directory: temp.ledger, from: 150, through: 152)
        var seqs: [Seq] = []
        while let event = try cursor.next() { seqs.append(event.seq) }
        #expect(seqs == [150, 151, 152])
    }

    @Test func concurrentAppendersGetGapFreeOrderedSeqsAndNothingIsLost() async throws {
        let temp = TemporaryDirectory()
        let (ledger, _) = try FileLedger.open(directory: temp.ledger) // fsync durability: real group commit
        let writers = 32, perWriter = 40
        let ranges = try await withThrowingTaskGroup(of: [(Int, ClosedRange<Seq>)].self) { group in
            for writer in 0..<writers {
                group.addTask {
                    var mine: [(Int, ClosedRange<Seq>)] = []
                    for i in 0..<perWriter {
                        let range = try await ledger.append([draft(writer * 1000 + i, stream: "w/\(writer)"), draft(writer * 1000 + i, stream: "w/\(writer)")])
                        mine.append((writer * 1000 + i, range))
                    }
                    return mine
                }
            }
            var all: [(Int, ClosedRange<Seq>)] = []
            for try await part in group { all += part }
            return all
        }
        await ledger.close()
        let seqs = ranges.flatMap { Array($0.1) }.sorted()
        #expect(seqs == Array(1...Seq(writers * perWriter * 2)))
        let events = try readAll(temp.ledger)
        #expect(events.count == writers * perWriter * 2)
        for (n, range) in ranges {
            for seq in range { #expect(events[Int(seq) - 1].body == draft(n).body) }
        }
        // Each writer's own appends are in the order it made them.
        for writer in 0..<writers {
            let own = events.filter { $0.stream == "w/\(writer)" }.map(\.seq)
            #expect(own == own.sorted())
        }
        let stats = try LedgerInspection.stats(directory: temp.ledger)
        #expect(stats.frames < writers * perWriter, "group commit should batch concurrent appends into shared frames")
    }

    @Test func aSecondWriterIsRefusedWhileTheFirstHoldsTheLock() async throws {
        let temp = TemporaryDirectory()
        let (ledger, _) = try FileLedger.open(directory: temp.ledger)
        #expect {
            _ = try FileLedger.open(directory: temp.ledger)
        } throws: { error in
            (error as? LedgerError)?.kind == .locked && "\(error)".contains("pid \(getpid())")
        }
        await ledger.close()
        let (again, _) = try FileLedger.open(directory: temp.ledger)
        await again.close()
    }

    @Test func missingAndForeignDirectoriesGiveClearErrors() throws {
        let temp = TemporaryDirectory()
        #expect { _ = try LedgerCursor(directory: LedgerDirectory(dataPath: temp.path + "/nope")) } throws: { error in
            (error as? LedgerError)?.kind == .notFound && "\(error)".contains("does not exist")
        }
        try FileManager.default.createDirectory(atPath: temp.path + "/other/ledger", withIntermediateDirectories: true)
        #expect(FileManager.default.createFile(atPath: temp.path + "/other/ledger/something.txt", contents: Data("hi".utf8)))
        #expect { _ = try FileLedger.open(directory: LedgerDirectory(dataPath: temp.path + "/other")) } throws: { error in
            (error as? LedgerError)?.kind == .foreign
        }
    }

    @Test func segmentsWrittenWithAnOlderDictionaryStayReadable() async throws {
        let temp = TemporaryDirectory()
        let older = CompressionDictionary(id: 9_001, bytes: Array("{\"event\":\"message_created\",\"id\":,\"content\":\"hello number \"}".utf8))
        var first = fastConfiguration()
        first.dictionary = older
        let (ledger, _) = try FileLedger.open(directory: temp.ledger, configuration: first)
        for n in 1...20 { _ = try await ledger.append([draft(n)]) }
        await ledger.close()

        // A build that no longer knows dictionary 9001 says so instead of misreading.
        #expect { _ = try readAll(temp.ledger) } throws: { "\($0)".contains("dictionary 9001") }

        // The current build writes with the new dictionary and still reads the old segment.
        var second = fastConfiguration()
        second.additionalDictionaries = [older]
        let (reopened, _) = try FileLedger.open(directory: temp.ledger, configuration: second)
        for n in 21...40 { _ = try await reopened.append([draft(n)]) }
        await reopened.close()
        let names = try temp.ledger.segmentNames()
        #expect(names.count == 2, "a dictionary change starts a new segment")
        let cursor = try LedgerCursor(directory: temp.ledger, dictionaries: CompressionDictionary.builtIn + [older])
        var bodies: [[UInt8]] = []
        while let event = try cursor.next() { bodies.append(event.body) }
        #expect(bodies == (1...40).map { draft($0).body })
    }

    @Test func subscribersSeeTheHeadAdvance() async throws {
        let temp = TemporaryDirectory()
        let (ledger, _) = try FileLedger.open(directory: temp.ledger, configuration: fastConfiguration())
        let updates = ledger.subscribe()
        _ = try await ledger.append([draft(1), draft(2)])
        var iterator = updates.makeAsyncIterator()
        var seen: Seq = 0
        while seen < 2, let next = await iterator.next() { seen = next }
        #expect(seen == 2)
        await ledger.close()
        #expect(await iterator.next() == nil, "close finishes subscriptions")
    }

    @Test func invalidAppendsAreRejectedWithoutTouchingTheLedger() async throws {
        let temp = TemporaryDirectory()
        let (ledger, _) = try FileLedger.open(directory: temp.ledger, configuration: fastConfiguration())
        await #expect(throws: LedgerError.self) { _ = try await ledger.append([]) }
        await #expect(throws: LedgerError.self) {
            _ = try await ledger.append([EventDraft(stream: String(repeating: "s", count: 70_000), type: "t", time: 0, body: [])])
        }
        #expect(await ledger.headSeq() == 0)
        await ledger.close()
        await #expect(throws: LedgerError.self) { _ = try await ledger.append([draft(1)]) }
    }
}

@Suite struct LedgerTailTests {
    @Test func aTailReturnsEachNewEventOnceAcrossRotationsWithoutRescanning() async throws {
        let temp = TemporaryDirectory()
        var configuration = fastConfiguration()
        configuration.segmentSize = 400
        let (ledger, _) = try FileLedger.open(directory: temp.ledger, configuration: configuration)
        let tail = try LedgerTail(directory: temp.ledger)
        var seen: [Seq] = []
        for round in 0..<30 {
            _ = try await ledger.append((0..<(round % 4 + 1)).map { draft(round * 10 + $0, bytes: 120) })
            let head = await ledger.headSeq()
            // Read in two steps to exercise resuming inside a frame and at frame boundaries.
            seen += try tail.read(through: head > 1 ? head - 1 : head).map(\.seq)
            seen += try tail.read(through: head).map(\.seq)
        }
        await ledger.close()
        #expect(try temp.ledger.segmentNames().count > 3)
        #expect(seen == Array(1...Seq(seen.count)))
        #expect(try tail.read(through: .max).isEmpty)
        #expect(seen.count == (0..<30).reduce(0) { $0 + $1 % 4 + 1 })
    }
}
