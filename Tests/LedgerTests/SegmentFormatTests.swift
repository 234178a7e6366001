import Foundation
import LedgerbotTesting
import Testing
@testable import Ledger

/// Segment format 2 (bodies summarized by their meta stored last in each frame) and the
/// format-1 ledgers written before it.
@Suite struct SegmentFormatTests {
    /// Webhook-like events (a body with a meta summary), others without meta, and the edge
    /// cases: meta with an empty body, an empty event.
    static func mixedDrafts(_ n: Int) -> [EventDraft] {
        [
            EventDraft(stream: "1/\(n)", type: "webhook.received", time: Int64(n), body: Array("{\"raw\":\(n),\"pad\":\"\(String(repeating: "w", count: 200 + n))\"}".utf8),
                       meta: Array("{\"summary\":\(n)}".utf8)),
            EventDraft(stream: "1/\(n)", type: "decision", time: Int64(n) + 1, causation: Seq(max(1, n)), body: Array("{\"decided\":\(n)}".utf8)),
            EventDraft(stream: "1/\(n)", type: "webhook.duplicate", time: Int64(n) + 2, body: [], meta: Array("{\"original\":\(n)}".utf8)),
            EventDraft(stream: "", type: "empty", time: Int64(n) + 3, body: []),
            EventDraft(stream: "2/\(n)", type: "webhook.received", time: Int64(n) + 4, body: Array(repeating: UInt8(truncatingIfNeeded: n), count: 3000),
                       meta: Array("{\"summary\":\"second\"}".utf8)),
        ]
    }

    @Test func aFramePayloadKeepsSummarizedBodiesInItsTailAndTheHeadDecodesAlone() throws {
        let drafts = Self.mixedDrafts(7)
        var raw = ByteWriter()
        EventCoding.appendFrame(drafts, to: &raw)
        let tail = drafts.filter(EventCoding.storesBodyInTail).reduce(0) { $0 + $1.body.count }
        #expect(tail == 3000 + drafts[0].body.count, "only the bodies with meta go last")
        let whole = try #require(EventCoding.decode(raw.bytes, format: 2, firstSeq: 10, count: drafts.count))
        #expect(whole == drafts.enumerated().map { LedgerEvent(seq: 10 + Seq($0.offset), draft: $0.element) })

        // Inflating stops at the end of the head: the tail is never produced.
        let deflater = try Deflater(level: 6, dictionary: CompressionDictionary.current.bytes)
        let compressed = try deflater.compress(raw.bytes)
        let head = try compressed.withUnsafeBytes { try Inflater().decompressHead($0, rawLength: raw.bytes.count, dictionary: .current) }
        #expect(head.count == raw.bytes.count - tail)
        let summaries = try #require(EventCoding.decodeHead(head, firstSeq: 10, count: drafts.count))
        for (summary, event) in zip(summaries, whole) {
            let deferred = EventCoding.storesBodyInTail(event.draft)
            #expect(summary.isBodyDeferred == deferred)
            #expect(summary.body == (deferred ? [] : event.body))
            #expect(summary.meta == event.meta && summary.stream == event.stream && summary.type == event.type
                    && summary.time == event.time && summary.causation == event.causation && summary.seq == event.seq)
        }
    }

    /// The inflater both paths share: a whole stream, also an empty one (the PostgreSQL
    /// backend compresses each body on its own, and bodies may be empty).
    @Test func aBodyCompressedOnItsOwnRoundTripsEvenWhenEmpty() throws {
        let codec = BodyCodec()
        for body in [[], Array("x".utf8), Self.mixedDrafts(5)[4].body] {
            let compressed = try codec.compress(body)
            #expect(try compressed.withUnsafeBytes { try codec.decompress($0, dictionary: codec.dictionary.id, rawLength: body.count) } == body)
        }
    }

    @Test func malformedPayloadsDoNotDecode() throws {
        var raw = ByteWriter()
        EventCoding.appendFrame(Self.mixedDrafts(3), to: &raw)
        let bytes = raw.bytes
        #expect(EventCoding.decode(bytes + [0], format: 2, firstSeq: 1, count: 5) == nil, "a byte after the tail")
        #expect(EventCoding.decode(Array(bytes.dropLast()), format: 2, firstSeq: 1, count: 5) == nil, "a short tail")
        var longHead = bytes
        longHead[0] = 0xFF; longHead[1] = 0xFF; longHead[2] = 0xFF
        #expect(EventCoding.decode(longHead, format: 2, firstSeq: 1, count: 5) == nil, "a head longer than the payload")
        #expect(EventCoding.decode(bytes, format: 2, firstSeq: 1, count: 6) == nil, "fewer events than the header says")
        #expect(EventCoding.decode(Array(bytes.dropFirst(4)), format: 1, firstSeq: 1, count: 5) == nil,
                "format 1 has no tail: a body marked as stored there is malformed")
        #expect(EventCoding.decodeHead(Array(bytes.dropLast(1)), firstSeq: 1, count: 5) == nil, "a head whose length is not the bytes given")
    }

    @Test func aCursorReadingSummariesDefersTheirBodiesAndReadsOneOnRequest() async throws {
        let temp = TemporaryDirectory()
        let (ledger, _) = try FileLedger.open(directory: temp.ledger, configuration: fastConfiguration())
        var written: [LedgerEvent] = []
        for n in 1...40 {
            let drafts = Self.mixedDrafts(n)
            let range = try await ledger.append(drafts)
            written += zip(range, drafts).map { LedgerEvent(seq: $0, draft: $1) }
        }
        await ledger.close()
        #expect(try readAll(temp.ledger) == written, "a plain read gives every body")

        let cursor = try LedgerCursor(directory: temp.ledger, decoders: 0, deferringBodies: true)
        var index = 0
        var deferred = 0
        while let event = try cursor.next() {
            let original = written[index]
            index += 1
            if EventCoding.storesBodyInTail(original.draft) {
                deferred += 1
                #expect(event.isBodyDeferred && event.body.isEmpty && event.meta == original.meta)
                if index % 3 == 0 { continue } // some are never asked for
            } else {
                #expect(!event.isBodyDeferred && event == original)
            }
            #expect(try cursor.body(of: event) == original.body)
        }
        #expect(index == written.count && deferred == 80)

        // Once the cursor has moved past a frame, its deferred bodies are no longer at hand.
        let again = try LedgerCursor(directory: temp.ledger, decoders: 0, deferringBodies: true)
        let first = try #require(try again.next())
        for _ in 0..<5 { _ = try again.next() }
        #expect(throws: LedgerError.self) { try again.body(of: first) }
    }

    @Test func aFormat1LedgerReadsBackAndGrowsInAFormat2Segment() async throws {
        let temp = TemporaryDirectory()
        let fixture = fixturesDirectory().appendingPathComponent("ledger-format-1")
        try FileManager.default.createDirectory(atPath: temp.path + "/data", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: fixture.appendingPathComponent("ledger").path, toPath: temp.ledger.ledgerPath)
        let lines = try String(contentsOf: fixture.appendingPathComponent("events.jsonl"), encoding: .utf8).split(separator: "\n")
        let recorded = try lines.map { line in try Array(line.utf8).withUnsafeBytes { try JSONLines.decode($0) } }
        #expect(recorded.count == 62)
        #expect(try readAll(temp.ledger) == recorded, "written by the build before format 2, read back byte for byte")
        let names = try temp.ledger.segmentNames()
        #expect(names.count == 1)
        #expect(try segmentVersion(temp.ledger.segmentPath(names[0])) == 1)

        // Appending continues in a new segment of format 2; the old one is left as it was.
        let oldSegment = try Data(contentsOf: URL(fileURLWithPath: temp.ledger.segmentPath(names[0])))
        let (ledger, report) = try FileLedger.open(directory: temp.ledger, configuration: fastConfiguration())
        #expect(report.headSeq == 62)
        let drafts = Self.mixedDrafts(63)
        let range = try await ledger.append(drafts)
        await ledger.close()
        let all = recorded + zip(range, drafts).map { LedgerEvent(seq: $0, draft: $1) }
        #expect(try readAll(temp.ledger) == all)
        let grown = try temp.ledger.segmentNames()
        #expect(grown.count == 2)
        #expect(try segmentVersion(temp.ledger.segmentPath(grown[1])) == 2)
        #expect(try Data(contentsOf: URL(fileURLWithPath: temp.ledger.segmentPath(names[0]))) == oldSegment)
        #expect(try LedgerInspection.verify(directory: temp.ledger).isIntact, "the hash chain runs on across the formats")
        #expect(try LedgerInspection.stats(directory: temp.ledger).segmentsByFormat == [1: 1, 2: 1])

        // Summaries: format-1 frames come whole, format-2 frames without their summarized bodies.
        let cursor = try LedgerCursor(directory: temp.ledger, decoders: 0, deferringBodies: true)
        var read: [LedgerEvent] = []
        while let event = try cursor.next() {
            #expect(event.isBodyDeferred == (event.seq > 62 && EventCoding.storesBodyInTail(all[Int(event.seq) - 1].draft)))
            let whole = try cursor.whole(event)
            #expect(!whole.isBodyDeferred && whole.meta == event.meta)
            read.append(whole)
        }
        #expect(read == all)
    }

    /// A format-1 segment holding only its header (its first frame never written: a crash, or a
    /// failed write undone) cannot be continued, and the next segment would have its name.
    @Test func aHeaderOnlyFormat1SegmentIsReplacedByTheFirstFormat2One() async throws {
        let temp = TemporaryDirectory()
        let fixture = fixturesDirectory().appendingPathComponent("ledger-format-1")
        try FileManager.default.createDirectory(atPath: temp.path + "/data", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: fixture.appendingPathComponent("ledger").path, toPath: temp.ledger.ledgerPath)
        let iterator = try FrameIterator(directory: temp.ledger, ledgerID: try temp.ledger.readManifest(), dictionaries: CompressionDictionary.builtIn)
        while try iterator.next() != nil {}
        let header = SegmentFormat.encode(.init(dictionaryID: CompressionDictionary.current.id, firstSeq: 63, ledgerID: try temp.ledger.readManifest(),
                                                previousHash: iterator.headHash, version: 1))
        let emptyName = SegmentFormat.fileName(firstSeq: 63)
        try Data(header).write(to: URL(fileURLWithPath: temp.ledger.segmentPath(emptyName)))
        #expect(try readAll(temp.ledger).count == 62)

        let (ledger, report) = try FileLedger.open(directory: temp.ledger, configuration: fastConfiguration())
        #expect(report.headSeq == 62)
        let range = try await ledger.append(Self.mixedDrafts(63))
        await ledger.close()
        #expect(range == 63...67)
        #expect(try temp.ledger.segmentNames().count == 2)
        #expect(try segmentVersion(temp.ledger.segmentPath(emptyName)) == 2)
        #expect(try readAll(temp.ledger).map(\.seq) == Array(1...67))
        #expect(try LedgerInspection.verify(directory: temp.ledger).isIntact)
    }

    @Test func aSegmentOfALaterFormatIsRefusedWithAClearError() async throws {
        let temp = TemporaryDirectory()
        let (ledger, _) = try FileLedger.open(directory: temp.ledger, configuration: fastConfiguration())
        _ = try await ledger.append(Self.mixedDrafts(1))
        await ledger.close()
        let path = try segmentPaths(temp.ledger)[0]
        var bytes = try Array(Data(contentsOf: URL(fileURLWithPath: path)))
        bytes[8] = 3 // format version 3, header CRC recomputed: a well-formed header of a later build
        let crc = bytes.withUnsafeBytes { crc32(UnsafeRawBufferPointer(rebasing: $0[0..<92])) }
        withUnsafeBytes(of: crc.littleEndian) { for (i, byte) in $0.enumerated() { bytes[92 + i] = byte } }
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let error = try #require(throws: LedgerError.self) { try readAll(temp.ledger) }
        #expect(error.kind == .foreign, "not damage")
        #expect("\(error)".contains("has format 3, which this build does not read"), "\(error)")
        // Not even `repair` moves it aside: it is a later build's data, not damage.
        let refused = try #require(throws: LedgerError.self) { try FileLedger.open(directory: temp.ledger, configuration: fastConfiguration(), repair: true) }
        #expect(refused.kind == .foreign)
        #expect(try Array(Data(contentsOf: URL(fileURLWithPath: path))) == bytes, "nothing was truncated, rewritten or moved")
        #expect(!FileManager.default.fileExists(atPath: temp.ledger.quarantinePath))

        // The same version byte in a header whose checksum no longer matches is damage, not a later build.
        bytes[92] ^= 0xFF
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let damaged = try #require(throws: LedgerError.self) { try readAll(temp.ledger) }
        #expect("\(damaged)".contains("bad segment header (badChecksum)"), "\(damaged)")
    }

    private func segmentVersion(_ path: String) throws -> UInt32 {
        let bytes = try Array(Data(contentsOf: URL(fileURLWithPath: path)).prefix(SegmentFormat.headerSize))
        return try bytes.withUnsafeBytes { try SegmentFormat.decode($0).version }
    }
}

