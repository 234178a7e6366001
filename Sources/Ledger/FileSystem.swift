#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Thin POSIX helpers. Errors carry the path and errno text.
enum FileSystem {
    static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    static func makeDirectories(_ path: String) throws {
        var current = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            current += "/" + component
            if mkdir(current, 0o755) != 0 && errno != EEXIST {
                throw LedgerError.io("cannot create directory", path: current, errno: errno)
            }
        }
    }

    static func list(_ path: String) throws -> [String] {
        guard let dir = opendir(path) else { throw LedgerError.io("cannot list", path: path, errno: errno) }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    static func readText(_ path: String) throws -> String {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw LedgerError.io("cannot open", path: path, errno: errno) }
        defer { close(fd) }
        var result: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = read(fd, &buffer, buffer.count)
            if n < 0 { throw LedgerError.io("cannot read", path: path, errno: errno) }
            if n == 0 { break }
            result.append(contentsOf: buffer[0..<n])
        }
        return String(decoding: result, as: UTF8.self)
    }

    /// Writes a small file via a temporary name, fsyncs it, and renames it into place.
    static func writeDurably(_ path: String, contents: [UInt8]) throws {
        let temporary = path + ".tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw LedgerError.io("cannot create", path: temporary, errno: errno) }
        do {
            try writeAll(fd: fd, contents, at: 0, path: temporary)
            guard fsync(fd) == 0 else { throw LedgerError.io("cannot fsync", path: temporary, errno: errno) }
            close(fd)
        } catch {
            close(fd)
            throw error
        }
        guard rename(temporary, path) == 0 else { throw LedgerError.io("cannot rename to", path: path, errno: errno) }
    }

    static func writeAll(fd: Int32, _ bytes: [UInt8], at offset: Int64, path: String) throws {
        try bytes.withUnsafeBytes { buffer in
            var written = 0
            while written < buffer.count {
                let n = pwrite(fd, buffer.baseAddress! + written, buffer.count - written, off_t(offset) + off_t(written))
                if n < 0 {
                    if errno == EINTR { continue }
                    throw LedgerError.io("cannot write", path: path, errno: errno)
                }
                written += n
            }
        }
    }

    static func syncDirectory(_ path: String) throws {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw LedgerError.io("cannot open directory", path: path, errno: errno) }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw LedgerError.io("cannot fsync directory", path: path, errno: errno) }
    }

    static func fileSize(_ path: String) throws -> Int64 {
        var info = stat()
        guard stat(path, &info) == 0 else { throw LedgerError.io("cannot stat", path: path, errno: errno) }
        return Int64(info.st_size)
    }

    static func remove(_ path: String) throws {
        if unlink(path) != 0 && errno != ENOENT { throw LedgerError.io("cannot remove", path: path, errno: errno) }
    }
}

/// Read-only random access to one file through a sliding buffer, so scanning a segment
/// costs one `pread` per megabyte rather than two per frame.
final class BufferedFile {
    let path: String
    let size: Int64
    private let fd: Int32
    private var buffer: [UInt8]
    private var bufferStart: Int64 = 0
    private var bufferCount = 0

    init(path: String, bufferSize: Int = 1 << 20) throws {
        self.path = path
        fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw LedgerError.io("cannot open", path: path, errno: errno) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            let code = errno
            close(fd)
            throw LedgerError.io("cannot stat", path: path, errno: code)
        }
        size = Int64(info.st_size)
        buffer = [UInt8](repeating: 0, count: bufferSize)
    }

    deinit { close(fd) }

    /// Calls `body` with `count` bytes at `offset`, or returns nil when the file is shorter.
    func withBytes<T>(at offset: Int64, count: Int, _ body: (UnsafeRawBufferPointer) throws -> T) throws -> T? {
        guard offset >= 0, count >= 0, offset + Int64(count) <= size else { return nil }
        if offset < bufferStart || offset + Int64(count) > bufferStart + Int64(bufferCount) {
            if count > buffer.count { buffer = [UInt8](repeating: 0, count: count) }
            let want = min(buffer.count, Int(size - offset))
            var got = 0
            while got < want {
                let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + got, want - got, off_t(offset) + off_t(got)) }
                if n < 0 {
                    if errno == EINTR { continue }
                    throw LedgerError.io("cannot read", path: path, errno: errno)
                }
                if n == 0 { break }
                got += n
            }
            bufferStart = offset
            bufferCount = got
            guard got >= count else { return nil }
        }
        let start = Int(offset - bufferStart)
        return try buffer.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0[start..<start + count])) }
    }
}

/// `close(2)` under a name that instance methods called `close()` do not shadow.
func closeDescriptor(_ fd: Int32) {
    _ = Glibc.close(fd) // a close error after fsync carries no information we can act on
}
