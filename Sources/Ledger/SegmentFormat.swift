import Foundation
import Crypto

/// On-disk layout of a segment file (`DATA/ledger/seg-<first seq, 20 digits>.lbs`).
///
/// ```
/// header (96 bytes):
///   0  magic "LBSEGv01"        8  format version u32     12 dictionary id u32
///   16 first seq u64           24 ledger id (16 bytes)   40 previous frame hash (32 bytes)
///   72 reserved (20 bytes)     92 CRC-32 of bytes 0..<92
/// frames, back to back (see FrameFormat)
/// ```
/// All integers are little-endian. A closed segment is never written again.
///
/// The format version says how frame payloads are laid out (``EventCoding``): 1, each event's
/// fields and body in turn; 2 (written since), bodies that have a summary in their meta (webhook
/// bodies) after everything else, so a reader that wants only summaries inflates the start of
/// each frame. Both are read; new segments are written in ``version``, and a ledger written by an
/// earlier version continues in a new segment. A build that knows only format 1 refuses a
/// format-2 segment (a clear "bad version" error, never a torn tail to truncate).
enum SegmentFormat {
    static let magic: [UInt8] = Array("LBSEGv01".utf8)
    /// The format of the segments this build writes.
    static let version: UInt32 = 2
    static let readableVersions: ClosedRange<UInt32> = 1...2
    static let headerSize = 96
    static let fileExtension = "lbs"

    static func fileName(firstSeq: Seq) -> String {
        let digits = String(firstSeq)
        return "seg-" + String(repeating: "0", count: max(0, 20 - digits.count)) + digits + "." + fileExtension
    }

    /// The first seq encoded in a segment file name, or nil when the name is not a segment's.
    static func firstSeq(fromFileName name: String) -> Seq? {
        guard name.hasPrefix("seg-"), name.hasSuffix("." + fileExtension) else { return nil }
        let digits = name.dropFirst(4).dropLast(fileExtension.count + 1)
        guard digits.count == 20 else { return nil }
        return Seq(digits)
    }

    struct Header: Equatable {
        var dictionaryID: UInt32
        var firstSeq: Seq
        var ledgerID: [UInt8]
        var previousHash: [UInt8]
        var version: UInt32 = SegmentFormat.version
    }

    static func encode(_ header: Header) -> [UInt8] {
        var w = ByteWriter(capacity: headerSize)
        w.write(magic)
        w.write(header.version)
        w.write(header.dictionaryID)
        w.write(header.firstSeq)
        w.write(header.ledgerID)
        w.write(header.previousHash)
        w.write([UInt8](repeating: 0, count: 20))
        let crc = w.bytes.withUnsafeBytes { crc32($0) }
        w.write(crc)
        return w.bytes
    }

    enum DecodeProblem: Error { case short, badMagic, badVersion(UInt32), badChecksum }

    static func decode(_ bytes: UnsafeRawBufferPointer) throws(DecodeProblem) -> Header {
        guard bytes.count >= headerSize else { throw .short }
        guard Array(bytes[0..<8]) == magic else { throw .badMagic }
        // The checksum first: an unknown version in an intact header is a later build's segment,
        // one in a damaged header is damage.
        let crc = readLE(bytes, at: 92, as: UInt32.self)
        guard crc == crc32(UnsafeRawBufferPointer(rebasing: bytes[0..<92])) else { throw .badChecksum }
        let version = readLE(bytes, at: 8, as: UInt32.self)
        guard readableVersions.contains(version) else { throw .badVersion(version) }
        return Header(
            dictionaryID: readLE(bytes, at: 12, as: UInt32.self),
            firstSeq: readLE(bytes, at: 16, as: UInt64.self),
            ledgerID: Array(bytes[24..<40]),
            previousHash: Array(bytes[40..<72]),
            version: version
        )
    }
}

/// On-disk layout of a frame: one group-commit batch of events.
///
/// ```
/// header (60 bytes):
///   0  magic "LBF1"   4 payload length u32   8 raw length u32   12 event count u32
///   16 first seq u64  24 SHA-256(previous hash ‖ bytes 0..<24 ‖ payload) (32 bytes)
///   56 CRC-32 of bytes 0..<56 and the payload
/// payload: zlib stream (segment's preset dictionary) of the encoded events
/// ```
/// The CRC catches torn and accidental damage cheaply; the hash chain links every frame to
/// all frames before it, so a changed byte is caught even when the CRC was fixed up too.
enum FrameFormat {
    static let magic: [UInt8] = Array("LBF1".utf8)
    static let headerSize = 60
    static let zeroHash = [UInt8](repeating: 0, count: 32)

    struct Header {
        var payloadLength: UInt32
        var rawLength: UInt32
        var count: UInt32
        var firstSeq: Seq
        var hash: [UInt8]
        var crc: UInt32
        var totalLength: Int { FrameFormat.headerSize + Int(payloadLength) }
        var lastSeq: Seq { firstSeq + Seq(count) - 1 }
    }

    /// Builds a complete frame (header + payload) and returns it with its hash.
    static func build(payload: [UInt8], rawLength: Int, count: Int, firstSeq: Seq, previousHash: [UInt8]) -> (bytes: [UInt8], hash: [UInt8]) {
        var w = ByteWriter(capacity: headerSize + payload.count)
        w.write(magic)
        w.write(UInt32(payload.count))
        w.write(UInt32(rawLength))
        w.write(UInt32(count))
        w.write(firstSeq)
        let hash = chainHash(previous: previousHash, prefix: w.bytes, payload: payload)
        w.write(hash)
        let crc = w.bytes.withUnsafeBytes { head in payload.withUnsafeBytes { crc32(head, $0) } }
        w.write(crc)
        w.write(payload)
        return (w.bytes, hash)
    }

    static func chainHash(previous: [UInt8], prefix: some ContiguousBytes, payload: some ContiguousBytes) -> [UInt8] {
        var hasher = SHA256()
        hasher.update(data: previous)
        prefix.withUnsafeBytes { hasher.update(bufferPointer: $0) }
        payload.withUnsafeBytes { hasher.update(bufferPointer: $0) }
        return Array(hasher.finalize())
    }

    /// Parses a header; nil when the bytes cannot be a frame header (short or wrong magic).
    static func decodeHeader(_ bytes: UnsafeRawBufferPointer) -> Header? {
        guard bytes.count >= headerSize, bytes[0] == magic[0], bytes[1] == magic[1], bytes[2] == magic[2], bytes[3] == magic[3] else { return nil }
        return Header(
            payloadLength: readLE(bytes, at: 4, as: UInt32.self),
            rawLength: readLE(bytes, at: 8, as: UInt32.self),
            count: readLE(bytes, at: 12, as: UInt32.self),
            firstSeq: readLE(bytes, at: 16, as: UInt64.self),
            hash: Array(bytes[24..<56]),
            crc: readLE(bytes, at: 56, as: UInt32.self)
        )
    }
}

/// Encoding of the events inside a frame payload (before compression).
///
/// Format 1, and the canonical encoding of one event (``ContentChain`` hashes it): per event,
/// time i64, causation u64 (0 = none), stream length u16, type length u16, body length u32,
/// meta length u32, then the stream, type, body and meta bytes.
///
/// Format 2: head length u32, the head, then the tail. The head holds every event as format 1
/// does, except that a body with a meta beside it (a webhook's raw body, whose meta carries its
/// summary) is not there: its length has the top bit set and the body itself is in the tail, the
/// tail holding those bodies in event order. A reader that needs only summaries inflates the head
/// and stops (``Inflater/decompressHead(_:rawLength:dictionary:)``). Bodies are at most 2 GiB
/// (``validate(_:)``), so the top bit is free.
///
/// The seq is implicit (frame first seq + index).
enum EventCoding {
    static let fixedSize = 8 + 8 + 2 + 2 + 4 + 4
    /// Format 2: this bit of the body length marks a body stored in the tail.
    static let inTail: UInt32 = 1 << 31

    static func encodedSize(_ draft: EventDraft) -> Int {
        fixedSize + draft.stream.utf8.count + draft.type.utf8.count + draft.body.count + draft.meta.count
    }

    static func validate(_ draft: EventDraft) throws {
        guard draft.stream.utf8.count <= Int(UInt16.max) else { throw LedgerError(.invalidArgument, "stream name longer than 65535 bytes") }
        guard draft.type.utf8.count <= Int(UInt16.max) else { throw LedgerError(.invalidArgument, "event type longer than 65535 bytes") }
        guard draft.body.count <= Int(UInt32.max) / 2 else { throw LedgerError(.invalidArgument, "event body larger than 2 GiB") }
        guard draft.meta.count <= Int(UInt16.max) else { throw LedgerError(.invalidArgument, "event meta larger than 64 KiB") }
        if let causation = draft.causation, causation == 0 { throw LedgerError(.invalidArgument, "causation seq 0 does not exist (seqs start at 1)") }
    }

    /// One event in the format-1 layout.
    static func append(_ draft: EventDraft, to w: inout ByteWriter) {
        appendFields(draft, bodyInTail: false, to: &w)
    }

    /// Whether format 2 stores the draft's body in the tail: a body summarized by its meta.
    static func storesBodyInTail(_ draft: EventDraft) -> Bool { !draft.meta.isEmpty && !draft.body.isEmpty }

    /// A frame's events in the format-2 layout (see the type's documentation).
    static func appendFrame(_ drafts: [EventDraft], to w: inout ByteWriter) {
        let head = drafts.reduce(0) { $0 + encodedSize($1) - (storesBodyInTail($1) ? $1.body.count : 0) }
        w.write(UInt32(head))
        for draft in drafts { appendFields(draft, bodyInTail: storesBodyInTail(draft), to: &w) }
        for draft in drafts where storesBodyInTail(draft) { w.write(draft.body) }
    }

    private static func appendFields(_ draft: EventDraft, bodyInTail: Bool, to w: inout ByteWriter) {
        w.write(draft.time)
        w.write(draft.causation ?? 0)
        w.write(UInt16(draft.stream.utf8.count))
        w.write(UInt16(draft.type.utf8.count))
        w.write(UInt32(draft.body.count) | (bodyInTail ? inTail : 0))
        w.write(UInt32(draft.meta.count))
        w.write(draft.stream.utf8)
        w.write(draft.type.utf8)
        if !bodyInTail { w.write(draft.body) }
        w.write(draft.meta)
    }

    /// Decodes the `count` events of a frame payload in segment format `format`; nil when the
    /// payload is malformed.
    static func decode(_ raw: [UInt8], format: UInt32, firstSeq: Seq, count: Int) -> [LedgerEvent]? {
        raw.withUnsafeBytes { buffer -> [LedgerEvent]? in
            var reader = ByteReader(buffer)
            var tail: ByteReader?
            if format >= 2 {
                guard let headLength = reader.read(UInt32.self).map(Int.init), headLength <= reader.remaining else { return nil }
                reader = ByteReader(UnsafeRawBufferPointer(rebasing: buffer[..<(4 + headLength)]), offset: 4)
                tail = ByteReader(buffer, offset: 4 + headLength)
            }
            return decodeFields(&reader, tail: &tail, firstSeq: firstSeq, count: count)
        }
    }

    /// Decodes the head of a format-2 payload (``Inflater/decompressHead(_:rawLength:dictionary:)``'s
    /// output): every event, those whose body is in the tail marked ``LedgerEvent/isBodyDeferred``
    /// and without it.
    static func decodeHead(_ raw: [UInt8], firstSeq: Seq, count: Int) -> [LedgerEvent]? {
        raw.withUnsafeBytes { buffer -> [LedgerEvent]? in
            var reader = ByteReader(buffer)
            var noTail: ByteReader?
            guard let headLength = reader.read(UInt32.self), Int(headLength) == reader.remaining else { return nil }
            return decodeFields(&reader, tail: &noTail, deferring: true, firstSeq: firstSeq, count: count)
        }
    }

    /// Reads `count` events from `reader`, which must then be at its end; bodies marked as in the
    /// tail come from `tail`, which must end too — or, `deferring`, are left unread.
    private static func decodeFields(_ reader: inout ByteReader, tail: inout ByteReader?, deferring: Bool = false,
                                     firstSeq: Seq, count: Int) -> [LedgerEvent]? {
        var events: [LedgerEvent] = []
        events.reserveCapacity(count)
        for index in 0..<count {
            guard let time = reader.read(Int64.self), let causation = reader.read(UInt64.self),
                  let streamLength = reader.read(UInt16.self), let typeLength = reader.read(UInt16.self),
                  let bodyField = reader.read(UInt32.self), let metaLength = reader.read(UInt32.self),
                  let stream = reader.readString(Int(streamLength)), let type = reader.readString(Int(typeLength)) else { return nil }
            let bodyLength = Int(bodyField & ~inTail)
            var deferred = false
            let body: [UInt8]
            if bodyField & inTail == 0 {
                guard let inline = reader.readBytes(bodyLength) else { return nil }
                body = inline
            } else if deferring {
                body = []
                deferred = true
            } else {
                guard let stored = tail?.readBytes(bodyLength) else { return nil }
                body = stored
            }
            guard let meta = reader.readBytes(Int(metaLength)) else { return nil }
            var event = LedgerEvent(seq: firstSeq + Seq(index), stream: stream, type: type, time: time,
                                    causation: causation == 0 ? nil : causation, body: body, meta: meta)
            event.isBodyDeferred = deferred
            events.append(event)
        }
        guard reader.remaining == 0, (tail?.remaining ?? 0) == 0 else { return nil }
        return events
    }
}
