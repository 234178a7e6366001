#if canImport(Glibc)
import Glibc
#endif

/// Reads a file descriptor line by line in large chunks. Lines exclude the `\n`
/// (and a `\r` before it).
public final class LineReader {
    private let fd: Int32
    private let path: String
    private var buffer: [UInt8]
    private var start = 0
    private var end = 0
    private var eof = false
    /// 1-based number of the last line returned.
    public private(set) var lineNumber = 0

    public init(fd: Int32, path: String, chunkSize: Int = 1 << 20) {
        self.fd = fd
        self.path = path
        buffer = [UInt8](repeating: 0, count: chunkSize)
    }

    /// Calls `body` with the next line's bytes; returns false at the end of input.
    public func next(_ body: (UnsafeRawBufferPointer) throws -> Void) throws -> Bool {
        while true {
            if let newline = buffer[start..<end].firstIndex(of: 0x0A) {
                var lineEnd = newline
                if lineEnd > start && buffer[lineEnd - 1] == 0x0D { lineEnd -= 1 }
                lineNumber += 1
                let lineStart = start
                start = newline + 1
                try buffer.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0[lineStart..<lineEnd])) }
                return true
            }
            if eof {
                guard start < end else { return false }
                lineNumber += 1
                let lineStart = start
                start = end
                try buffer.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0[lineStart..<end])) }
                return true
            }
            if start > 0 {
                buffer.replaceSubrange(0..<(end - start), with: buffer[start..<end])
                end -= start
                start = 0
            }
            if end == buffer.count { buffer += [UInt8](repeating: 0, count: buffer.count) }
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress! + end, $0.count - end) }
            if n < 0 {
                if errno == EINTR { continue }
                throw LedgerError.io("cannot read", path: path, errno: errno)
            }
            if n == 0 { eof = true } else { end += n }
        }
    }
}
