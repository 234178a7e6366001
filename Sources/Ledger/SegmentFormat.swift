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
enum SegmentFormat {
    static let magic: [UInt8] = Array("LBSEGv01".utf8)
    static let version: UInt32 = 1
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
    }

    static func encode(_ header: Header) -> [UInt8] {
        var w = ByteWriter(capacity: headerSize)
        w.write(magic)
        w.write(version)
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
        let version = readLE(bytes, at: 8, as: UInt32.self)
        guard version == Self.version else { throw .badVersion(version) }
        let crc = readLE(bytes, at: 92, as: UInt32.self)
        guard crc == crc32(UnsafeRawBufferPointer(rebasing: bytes[0..<92])) else { throw .badChecksum }
        return Header(
            dictionaryID: readLE(bytes, at: 12, as: UInt32.self),
            firstSeq: readLE(bytes, at: 16, as: UInt64.self),
            ledgerID: Array(bytes[24..<40]),
            previousHash: Array(bytes[40..<72])
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
/// Per event: time i64, causation u64 (0 = none), stream length u16, type length u16,
/// body length u32, meta length u32, then the stream, type, body and meta bytes. The seq is implicit
/// (frame first seq + index).
enum EventCoding {
    static let fixedSize = 8 + 8 + 2 + 2 + 4 + 4

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

    static func append(_ draft: EventDraft, to w: inout ByteWriter) {
        w.write(draft.time)
        w.write(draft.causation ?? 0)
        w.write(UInt16(draft.stream.utf8.count))
        w.write(UInt16(draft.type.utf8.count))
        w.write(UInt32(draft.body.count))
        w.write(UInt32(draft.meta.count))
        w.write(draft.stream.utf8)
        w.write(draft.type.utf8)
        w.write(draft.body)
        w.write(draft.meta)
    }

    /// Decodes `count` events; nil when the payload is malformed.
    static func decode(_ raw: [UInt8], firstSeq: Seq, count: Int) -> [LedgerEvent]? {
        raw.withUnsafeBytes { buffer -> [LedgerEvent]? in
            var r = ByteReader(buffer)
            var events: [LedgerEvent] = []
            events.reserveCapacity(count)
            for index in 0..<count {
                guard let time = r.read(Int64.self), let causation = r.read(UInt64.self),
                      let streamLength = r.read(UInt16.self), let typeLength = r.read(UInt16.self),
                      let bodyLength = r.read(UInt32.self), let metaLength = r.read(UInt32.self),
                      let stream = r.readString(Int(streamLength)), let type = r.readString(Int(typeLength)),
                      let body = r.readBytes(Int(bodyLength)), let meta = r.readBytes(Int(metaLength)) else { return nil }
                events.append(LedgerEvent(seq: firstSeq + Seq(index), stream: stream, type: type, time: time,
                                          causation: causation == 0 ? nil : causation, body: body, meta: meta))
            }
            return r.remaining == 0 ? events : nil
        }
    }
}
