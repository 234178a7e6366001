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

/// A reusable zlib inflate stream. Supplies the preset dictionary when zlib asks for it.
final class Inflater {
    private let stream: UnsafeMutablePointer<z_stream>

    init() throws {
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        let rc = ledgerbot_inflate_init(stream)
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
    /// - Throws: a message (no location; the caller adds it) when the data is not valid.
    func decompress(_ input: UnsafeRawBufferPointer, rawLength: Int, dictionary: [UInt8]) throws -> [UInt8] {
        inflateReset(stream)
        var output = [UInt8](repeating: 0, count: rawLength)
        try output.withUnsafeMutableBufferPointer { outBuf in
            stream.pointee.next_in = UnsafeMutablePointer(mutating: input.baseAddress?.assumingMemoryBound(to: UInt8.self))
            stream.pointee.avail_in = uInt(input.count)
            stream.pointee.next_out = outBuf.baseAddress
            stream.pointee.avail_out = uInt(outBuf.count)
            while true {
                var rc = inflate(stream, Z_FINISH)
                if rc == Z_NEED_DICT {
                    guard !dictionary.isEmpty else { throw InflateError("data needs a preset dictionary the segment does not name") }
                    rc = dictionary.withUnsafeBufferPointer { inflateSetDictionary(stream, $0.baseAddress, uInt($0.count)) }
                    guard rc == Z_OK else { throw InflateError("preset dictionary does not match the data (zlib \(rc))") }
                    continue
                }
                guard rc == Z_STREAM_END else { throw InflateError("zlib inflate failed (\(rc))") }
                guard stream.pointee.avail_out == 0 else { throw InflateError("decompressed size differs from the frame header") }
                return
            }
        }
        return output
    }
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
