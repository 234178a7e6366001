/// A frame read from a segment, with its compressed payload.
struct Frame {
    var segment: String
    var offset: Int64
    var header: FrameFormat.Header
    var payload: [UInt8]
    var dictionary: CompressionDictionary
    /// The segment's format version: how the payload is laid out (``EventCoding``).
    var format: UInt32

    var location: LedgerError.Location { .init(segment: segment, offset: offset, seq: header.firstSeq) }

    /// Decompresses and decodes the frame's events.
    /// - Parameter deferringBodies: in a format-2 frame, inflate only the head: bodies stored in
    ///   the tail are left unread (``LedgerEvent/isBodyDeferred``). A format-1 frame is read whole.
    func events(using inflater: Inflater, deferringBodies: Bool = false) throws -> [LedgerEvent] {
        let headOnly = deferringBodies && format >= 2
        let raw: [UInt8]
        do {
            raw = try payload.withUnsafeBytes {
                headOnly ? try inflater.decompressHead($0, rawLength: Int(header.rawLength), dictionary: dictionary)
                         : try inflater.decompress($0, rawLength: Int(header.rawLength), dictionary: dictionary, verifyChecksum: false)
            }
        } catch let error as InflateError {
            throw LedgerError(.corrupted, "frame payload cannot be decompressed (\(error.message))", location: location)
        }
        let count = Int(header.count)
        guard let events = headOnly ? EventCoding.decodeHead(raw, firstSeq: header.firstSeq, count: count)
                                    : EventCoding.decode(raw, format: format, firstSeq: header.firstSeq, count: count) else {
            throw LedgerError(.corrupted, "frame payload does not decode into \(header.count) events", location: location)
        }
        return events
    }
}

/// A torn last frame: bytes at the end of the last segment that never became a whole frame
/// (a crash mid-write). They were never acknowledged, so recovery truncates them.
public struct TornTail: Sendable, Equatable, CustomStringConvertible {
    public var segment: String
    public var offset: Int64
    public var bytes: Int64
    public var reason: String
    public var description: String { "torn tail in segment \(segment) at byte offset \(offset): \(bytes) bytes (\(reason))" }
}

/// Per-segment facts gathered while walking.
public struct SegmentSummary: Sendable, Equatable {
    public var name: String
    public var firstSeq: Seq
    public var dictionaryID: UInt32
    /// Bytes of the file that hold valid data (header and whole frames).
    public var validBytes: Int64
    public var fileBytes: Int64
    public var frames: Int
    public var events: Int
    public var rawBytes: Int64
    /// How its frames are laid out (1 or 2, see ``EventCoding``).
    public var format: UInt32
}

/// Walks the frames of a ledger in seq order and checks everything that can be checked
/// without decompressing: segment headers, frame structure, CRC, seq continuity and —
/// when walking from the start — the hash chain.
///
/// Corruption throws a ``LedgerError`` with ``LedgerError/Kind/corrupted`` and its location.
/// Incomplete bytes at the very end of the last segment are reported as ``TornTail`` and end
/// the walk (`next()` returns nil).
final class FrameIterator {
    let directory: LedgerDirectory
    let ledgerID: [UInt8]
    let dictionaries: [UInt32: CompressionDictionary]
    private let names: [String]
    private let verifyChain: Bool
    private let skipBelow: Seq
    /// Where to start inside the first segment (a resumed read); nil means after its header.
    private var resumeOffset: Int64?

    private var segmentIndex = -1
    private var file: BufferedFile?
    private var segmentHeader: SegmentFormat.Header?
    private var offset: Int64 = 0

    private(set) var expectedSeq: Seq = 1
    private(set) var headHash: [UInt8] = FrameFormat.zeroHash
    private(set) var torn: TornTail?
    private(set) var summaries: [SegmentSummary] = []
    /// Segment files that exist but hold no frame (and whose header may be torn).
    private(set) var emptyTailSegment: String?

    /// - Parameters:
    ///   - from: the first seq of interest. Frames entirely below it are skipped without
    ///     reading their payload; the hash chain is only verified when `from` is 1.
    init(directory: LedgerDirectory, ledgerID: [UInt8], dictionaries: [CompressionDictionary], from: Seq = 1,
         resume: LedgerPosition? = nil) throws {
        self.directory = directory
        self.ledgerID = ledgerID
        self.dictionaries = Dictionary(dictionaries.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        let all = try directory.segmentNames()
        if let resume, let start = all.firstIndex(of: resume.segment) {
            names = Array(all[start...])
            expectedSeq = resume.nextSeq
            verifyChain = false
            resumeOffset = resume.offset
        } else if from > 1, let start = all.lastIndex(where: { (SegmentFormat.firstSeq(fromFileName: $0) ?? 0) <= from }) {
            names = Array(all[start...])
            expectedSeq = SegmentFormat.firstSeq(fromFileName: names[0]) ?? 1
            verifyChain = false
        } else {
            names = all
            verifyChain = true
        }
        skipBelow = from
    }

    var isLastSegment: Bool { segmentIndex == names.count - 1 }

    /// Where the next frame starts (to resume a later read without rescanning).
    var position: LedgerPosition? {
        guard segmentIndex >= 0, segmentIndex < names.count else { return nil }
        return LedgerPosition(segment: names[segmentIndex], offset: offset, nextSeq: expectedSeq)
    }

    /// The next frame, or nil at the end (or at a torn tail).
    func next() throws -> Frame? {
        do {
            return try advance()
        } catch is ChainBreak {
            throw LedgerError(.corrupted, "hash chain broken: the frame's content does not match its SHA-256 link (modified after it was written)",
                              location: .init(segment: names[segmentIndex], offset: offset, seq: expectedSeq))
        }
    }

    private func advance() throws -> Frame? {
        while true {
            if file == nil {
                guard try openNextSegment() else { return nil }
                continue
            }
            guard let file, let segmentHeader else { return nil }
            let name = names[segmentIndex]
            let remaining = file.size - offset
            if remaining == 0 {
                self.file = nil
                continue
            }
            let header = try file.withBytes(at: offset, count: min(Int(remaining), FrameFormat.headerSize)) { bytes -> FrameFormat.Header? in
                FrameFormat.decodeHeader(bytes)
            } ?? nil
            guard let header else {
                if remaining < FrameFormat.headerSize {
                    return try tornOrCorrupt(name, "incomplete frame header", remaining: remaining)
                }
                if try isZeroFilled(file, from: offset) {
                    return try tornOrCorrupt(name, "zero-filled bytes after the last frame", remaining: remaining)
                }
                throw LedgerError(.corrupted, "bad frame magic", location: .init(segment: name, offset: offset, seq: nil))
            }
            let location = LedgerError.Location(segment: name, offset: offset, seq: header.firstSeq)
            if Int64(header.totalLength) > remaining {
                return try tornOrCorrupt(name, "frame of \(header.totalLength) bytes but only \(remaining) left", remaining: remaining)
            }
            guard header.firstSeq == expectedSeq, header.count > 0 else {
                throw LedgerError(.corrupted, "frame starts at seq \(header.firstSeq) with \(header.count) events, expected seq \(expectedSeq)", location: location)
            }
            let skipPayload = header.lastSeq < skipBelow && !verifyChain
            var payload: [UInt8] = []
            let crcOK: Bool = try file.withBytes(at: offset, count: header.totalLength) { bytes in
                let head = UnsafeRawBufferPointer(rebasing: bytes[0..<56])
                let body = UnsafeRawBufferPointer(rebasing: bytes[FrameFormat.headerSize...])
                guard crc32(head, body) == header.crc else { return false }
                if verifyChain {
                    let hash = FrameFormat.chainHash(previous: headHash, prefix: UnsafeRawBufferPointer(rebasing: bytes[0..<24]), payload: body)
                    guard hash == header.hash else { throw ChainBreak() }
                }
                if !skipPayload { payload = Array(body) }
                return true
            } ?? false
            if !crcOK {
                if isLastSegment && Int64(header.totalLength) == remaining {
                    return try tornOrCorrupt(name, "checksum mismatch in the last frame", remaining: remaining)
                }
                throw LedgerError(.corrupted, "frame checksum mismatch", location: location)
            }
            let frame = Frame(segment: name, offset: offset, header: header, payload: payload,
                              dictionary: try dictionary(segmentHeader.dictionaryID, segment: name), format: segmentHeader.version)
            offset += Int64(header.totalLength)
            expectedSeq = header.lastSeq + 1
            headHash = header.hash
            summaries[summaries.count - 1].validBytes = offset
            summaries[summaries.count - 1].frames += 1
            summaries[summaries.count - 1].events += Int(header.count)
            summaries[summaries.count - 1].rawBytes += Int64(header.rawLength)
            if skipPayload || header.lastSeq < skipBelow { continue }
            return frame
        }
    }

    private struct ChainBreak: Error {}

    private func dictionary(_ id: UInt32, segment: String) throws -> CompressionDictionary {
        guard let dictionary = dictionaries[id] else {
            throw LedgerError(.corrupted, "segment was compressed with dictionary \(id), which this build does not know (known: \(dictionaries.keys.sorted()))",
                              location: .init(segment: segment, offset: 12, seq: nil))
        }
        return dictionary
    }

    private func openNextSegment() throws -> Bool {
        segmentIndex += 1
        guard segmentIndex < names.count else { return false }
        let name = names[segmentIndex]
        let file = try BufferedFile(path: directory.segmentPath(name))
        let decoded: SegmentFormat.Header
        do {
            decoded = try file.withBytes(at: 0, count: SegmentFormat.headerSize) { try SegmentFormat.decode($0) } ?? { throw SegmentFormat.DecodeProblem.short }()
        } catch SegmentFormat.DecodeProblem.badVersion(let version) where version > SegmentFormat.version {
            // Not damage: `repair` must not move a later build's segments aside.
            throw LedgerError(.foreign, "segment \(name) has format \(version), which this build does not read (it reads \(SegmentFormat.readableVersions.map(String.init).joined(separator: " and "))): a newer Ledgerbot wrote it; use that version")
        } catch {
            let problem = String(describing: error)
            if isLastSegment && (file.size < SegmentFormat.headerSize || (try? isZeroFilled(file, from: 0)) == true) {
                // A crash right after creating the file: nothing in it was ever acknowledged.
                torn = TornTail(segment: name, offset: 0, bytes: file.size, reason: "segment header never completed")
                emptyTailSegment = name
                return false
            }
            throw LedgerError(.corrupted, "bad segment header (\(problem))", location: .init(segment: name, offset: 0, seq: nil))
        }
        let location = LedgerError.Location(segment: name, offset: 0, seq: decoded.firstSeq)
        guard decoded.ledgerID == ledgerID else {
            throw LedgerError(.foreign, "segment \(name) belongs to another ledger (id \(decoded.ledgerID.hexString), this ledger is \(ledgerID.hexString))")
        }
        let resumed = resumeOffset
        guard decoded.firstSeq == SegmentFormat.firstSeq(fromFileName: name), resumed != nil || decoded.firstSeq == expectedSeq else {
            throw LedgerError(.corrupted, "segment starts at seq \(decoded.firstSeq), expected \(expectedSeq)", location: location)
        }
        if verifyChain && decoded.previousHash != headHash {
            throw LedgerError(.corrupted, "segment header's previous hash does not match the hash chain", location: location)
        }
        headHash = decoded.previousHash
        _ = try dictionary(decoded.dictionaryID, segment: name)
        self.file = file
        segmentHeader = decoded
        offset = resumed ?? Int64(SegmentFormat.headerSize)
        resumeOffset = nil
        summaries.append(SegmentSummary(name: name, firstSeq: decoded.firstSeq, dictionaryID: decoded.dictionaryID,
                                        validBytes: offset, fileBytes: file.size, frames: 0, events: 0, rawBytes: 0, format: decoded.version))
        return true
    }

    private func tornOrCorrupt(_ name: String, _ reason: String, remaining: Int64) throws -> Frame? {
        guard isLastSegment else {
            throw LedgerError(.corrupted, reason, location: .init(segment: name, offset: offset, seq: nil))
        }
        torn = TornTail(segment: name, offset: offset, bytes: remaining, reason: reason)
        file = nil
        return nil
    }

    private func isZeroFilled(_ file: BufferedFile, from start: Int64) throws -> Bool {
        var position = start
        while position < file.size {
            let count = Int(min(file.size - position, 1 << 16))
            let zero = try file.withBytes(at: position, count: count) { $0.allSatisfy { $0 == 0 } } ?? false
            if !zero { return false }
            position += Int64(count)
        }
        return true
    }
}
