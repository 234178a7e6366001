import CZlib

/// A reusable zlib deflate stream with an optional preset dictionary.
///
/// The `z_stream` lives on the heap because zlib keeps a pointer back to it; it must not move.
/// Reusing one stream with `deflateReset` is 2–2.5× faster than a new stream per frame.
/// Not thread-safe: one per thread.
final class Deflater {
    private let stream: UnsafeMutablePointer<z_stream>
    private let dictionary: [UInt8]

    init(level: Int32, dictionary: [UInt8]) throws {
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        self.dictionary = dictionary
        let rc = ledgerbot_deflate_init(stream, level)
        guard rc == Z_OK else {
            stream.deallocate()
            throw LedgerError(.invalidArgument, "zlib deflateInit failed (\(rc)) for level \(level)")
        }
    }

    deinit {
        deflateEnd(stream)
        stream.deinitialize(count: 1)
        stream.deallocate()
    }

    /// Compresses `input` into one complete zlib stream.
    func compress(_ input: [UInt8]) throws -> [UInt8] {
        deflateReset(stream)
        if !dictionary.isEmpty {
            let rc = dictionary.withUnsafeBufferPointer { deflateSetDictionary(stream, $0.baseAddress, uInt($0.count)) }
            guard rc == Z_OK else { throw LedgerError(.io, "zlib deflateSetDictionary failed (\(rc))") }
        }
        let bound = Int(deflateBound(stream, uLong(input.count)))
        var output = [UInt8](repeating: 0, count: bound)
        let produced: Int = try input.withUnsafeBufferPointer { inBuf in
            try output.withUnsafeMutableBufferPointer { outBuf in
                stream.pointee.next_in = UnsafeMutablePointer(mutating: inBuf.baseAddress)
                stream.pointee.avail_in = uInt(inBuf.count)
                stream.pointee.next_out = outBuf.baseAddress
                stream.pointee.avail_out = uInt(outBuf.count)
                let rc = deflate(stream, Z_FINISH)
                guard rc == Z_STREAM_END else { throw LedgerError(.io, "zlib deflate failed (\(rc))") }
                return outBuf.count - Int(stream.pointee.avail_out)
            }
        }
        output.removeSubrange(produced...)
        return output
    }
}

/// A reusable inflate stream for zlib-wrapped data with an optional preset dictionary.
///
/// It reads the zlib header and trailer itself and inflates the deflate data in raw mode:
/// zlib would otherwise compute the Adler-32 of the whole preset dictionary (21 KiB) on every call (to
/// compare it with the stream's dictionary id), which cost more than inflating a small frame.
/// Here the dictionary id is compared with the one computed once per dictionary, and the
/// trailer's checksum of the output is checked only when the caller has no checksum of its own
/// (segment frames carry a CRC-32 of the compressed bytes, verified before inflating).
final class Inflater {
    private let stream: UnsafeMutablePointer<z_stream>

    init() throws {
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        let rc = ledgerbot_inflate_init_raw(stream)
        guard rc == Z_OK else {
            stream.deallocate()
            throw LedgerError(.io, "zlib inflateInit failed (\(rc))")
        }
    }

    deinit {
        inflateEnd(stream)
        stream.deinitialize(count: 1)
        stream.deallocate()
    }

    /// Decompresses one zlib stream whose decompressed size is exactly `rawLength`.
    /// - Parameter verifyChecksum: also check the Adler-32 of the output against the trailer.
    /// - Throws: a message (no location; the caller adds it) when the data is not valid.
    func decompress(_ input: UnsafeRawBufferPointer, rawLength: Int, dictionary: CompressionDictionary, verifyChecksum: Bool) throws -> [UInt8] {
        try begin(input, dictionary: dictionary)
        var output = [UInt8](repeating: 0, count: rawLength)
        try inflate(into: &output, from: 0, flush: Z_FINISH)
        // What is left is the 4-byte trailer: the Adler-32 of the output.
        let remaining = Int(stream.pointee.avail_in)
        guard remaining == 4 else { throw InflateError("zlib stream has \(remaining) bytes after its end (expected the 4-byte trailer)") }
        if verifyChecksum {
            guard readBE(input, at: input.count - 4, as: UInt32.self) == output.withUnsafeBytes({ adler32Checksum($0) }) else { throw InflateError("zlib checksum of the decompressed data does not match") }
        }
        return output
    }

    /// Decompresses only the start of a format-2 frame payload (``EventCoding``): its 4-byte
    /// head length, then the head, and stops there — the tail is never inflated. The caller has
    /// checked the compressed bytes (the frame's CRC); the zlib trailer is not reached.
    func decompressHead(_ input: UnsafeRawBufferPointer, rawLength: Int, dictionary: CompressionDictionary) throws -> [UInt8] {
        try begin(input, dictionary: dictionary)
        var length = [UInt8](repeating: 0, count: 4)
        try inflate(into: &length, from: 0, flush: Z_SYNC_FLUSH)
        let headLength = Int(length.withUnsafeBytes { readLE($0, at: 0, as: UInt32.self) })
        guard headLength <= rawLength - 4 else { throw InflateError("head of \(headLength) bytes in a payload of \(rawLength)") }
        var output = length
        output.append(contentsOf: repeatElement(0, count: headLength))
        try inflate(into: &output, from: 4, flush: Z_SYNC_FLUSH)
        return output
    }

    /// Checks the zlib header (and the preset dictionary it names) and points the stream at the
    /// deflate data that follows.
    private func begin(_ input: UnsafeRawBufferPointer, dictionary: CompressionDictionary) throws {
        guard input.count >= 6 else { throw InflateError("compressed data too short") }
        let cmf = input[0], flg = input[1]
        guard cmf & 0x0F == 8, cmf >> 4 <= 7, (UInt16(cmf) << 8 | UInt16(flg)) % 31 == 0 else { throw InflateError("not a zlib stream (bad header)") }
        var start = 2
        let needsDictionary = flg & 0x20 != 0
        if needsDictionary {
            guard input.count >= 10 else { throw InflateError("compressed data too short") }
            guard !dictionary.bytes.isEmpty else { throw InflateError("data needs a preset dictionary the segment does not name") }
            guard readBE(input, at: 2, as: UInt32.self) == dictionary.adler else { throw InflateError("preset dictionary does not match the data") }
            start = 6
        }
        inflateReset(stream)
        if needsDictionary {
            let rc = dictionary.bytes.withUnsafeBufferPointer { inflateSetDictionary(stream, $0.baseAddress, uInt($0.count)) }
            guard rc == Z_OK else { throw InflateError("zlib inflateSetDictionary failed (\(rc))") }
        }
        let body = UnsafeRawBufferPointer(rebasing: input[start...])
        stream.pointee.next_in = UnsafeMutablePointer(mutating: body.baseAddress?.assumingMemoryBound(to: UInt8.self))
        stream.pointee.avail_in = uInt(body.count)
    }

    /// Fills `output` from `offset` to its end. With `Z_FINISH` the stream must end exactly
    /// there; with `Z_SYNC_FLUSH` it may go on (the rest is left unread).
    private func inflate(into output: inout [UInt8], from offset: Int, flush: Int32) throws {
        // With Z_FINISH inflate runs even for no output: it must still reach the stream's end.
        guard offset < output.count || flush == Z_FINISH else { return }
        try output.withUnsafeMutableBufferPointer { outBuf in
            stream.pointee.next_out = outBuf.baseAddress.map { $0 + offset }
            stream.pointee.avail_out = uInt(outBuf.count - offset)
            let rc = CZlib.inflate(stream, flush)
            if flush == Z_FINISH {
                guard rc == Z_STREAM_END else { throw InflateError("zlib inflate failed (\(rc))") }
                guard stream.pointee.avail_out == 0 else { throw InflateError("decompressed size differs from the frame header") }
            } else {
                guard rc == Z_OK || rc == Z_STREAM_END else { throw InflateError("zlib inflate failed (\(rc))") }
                guard stream.pointee.avail_out == 0 else { throw InflateError("the data ends before the frame's head") }
            }
        }
    }
}

/// zlib's Adler-32.
func adler32Checksum(_ buffer: UnsafeRawBufferPointer) -> UInt32 {
    UInt32(truncatingIfNeeded: CZlib.adler32(CZlib.adler32(0, nil, 0), buffer.baseAddress?.assumingMemoryBound(to: UInt8.self), uInt(buffer.count)))
}

struct InflateError: Error { let message: String; init(_ m: String) { message = m } }

/// zlib's CRC-32 (the IEEE polynomial), about 5 GB/s here.
func crc32(_ buffers: UnsafeRawBufferPointer...) -> UInt32 {
    var crc: uLong = CZlib.crc32(0, nil, 0)
    for buffer in buffers where buffer.count > 0 {
        crc = CZlib.crc32(crc, buffer.baseAddress?.assumingMemoryBound(to: UInt8.self), uInt(buffer.count))
    }
    return UInt32(truncatingIfNeeded: crc)
}
