#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Dispatch
import Foundation

// MARK: Deterministic randomness

/// SplitMix64 (Steele, Lea, Flood 2014): tiny, fast, and the same sequence on every platform.
struct SplitMix64 {
    private(set) var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in 0..<n (modulo bias is irrelevant for n ≪ 2^64).
    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
    mutating func range(_ r: ClosedRange<Int>) -> Int { r.lowerBound + below(r.count) }
    /// Uniform in [0, 1).
    mutating func unit() -> Double { Double(next() >> 11) * 0x1p-53 }
    mutating func chance(_ p: Double) -> Bool { unit() < p }
    mutating func pick<T>(_ items: [T]) -> T { items[below(items.count)] }
    /// Exponentially distributed with the given mean.
    mutating func exponential(mean: Double) -> Double { -log(1 - unit()) * mean }
}

// MARK: Clocks and process facts

/// Monotonic nanoseconds.
@inline(__always)
func monotonicNanos() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}

func seconds(since start: UInt64) -> Double { Double(monotonicNanos() - start) / 1e9 }

/// User + system CPU seconds of the whole process.
func processCPUSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

enum ProcFS {
    /// A `kB` field of /proc/self/status (VmRSS, VmHWM, …) in bytes.
    static func status(_ field: String) -> Int64? {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix(field + ":") {
            let digits = line.dropFirst(field.count + 1).filter(\.isNumber)
            return Int64(digits).map { $0 * 1024 }
        }
        return nil
    }

    /// Resets VmHWM to the current RSS (Linux ≥ 4.0: `echo 5 > /proc/self/clear_refs`).
    static func resetPeakRSS() -> Bool {
        let fd = open("/proc/self/clear_refs", O_WRONLY)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        return write(fd, "5", 1) == 1
    }

    /// CPU seconds (user + system) of each of this process's threads, by thread id.
    static func threadCPU() -> [Int: Double] {
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        var result: [Int: Double] = [:]
        guard let tids = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task") else { return [:] }
        for tid in tids {
            guard let id = Int(tid), let stat = try? String(contentsOfFile: "/proc/self/task/\(tid)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { continue }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            // After "comm)": state is field 3, utime field 14, stime field 15 (1-based, proc(5)).
            guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { continue }
            result[id] = (user + system) / ticks
        }
        return result
    }

    /// Busy CPU seconds of the whole machine (all processes), from /proc/stat.
    static func machineBusySeconds() -> Double {
        guard let text = try? String(contentsOfFile: "/proc/stat", encoding: .utf8),
              let first = text.split(separator: "\n").first, first.hasPrefix("cpu ") else { return 0 }
        let values = first.split(separator: " ").dropFirst().compactMap { Double($0) }
        guard values.count >= 5 else { return 0 }
        // user nice system idle iowait irq softirq steal (guest time is already in user)
        let total = values.prefix(8).reduce(0, +)
        return (total - values[3] - values[4]) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// "0.42 0.40 0.38" from /proc/loadavg.
    static func loadAverage() -> String {
        guard let text = try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8) else { return "?" }
        return text.split(separator: " ").prefix(3).joined(separator: " ")
    }

    /// The file system type of the mount holding `path` (longest mount point prefix in /proc/self/mountinfo).
    static func fileSystemType(_ path: String) -> String {
        guard let text = try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8) else { return "?" }
        let resolved = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
        var best = (length: -1, type: "?")
        for line in text.split(separator: "\n") {
            let halves = line.components(separatedBy: " - ")
            let fields = halves[0].split(separator: " ")
            guard halves.count == 2, fields.count > 4, let type = halves[1].split(separator: " ").first else { continue }
            let mount = String(fields[4])
            let matches = mount == "/" || resolved == mount || resolved.hasPrefix(mount + "/")
            if matches && mount.count > best.length { best = (mount.count, String(type)) }
        }
        return best.type
    }
}

// MARK: Files

enum Scratch {
    /// Creates `parent/ledger-bench-XXXXXX` and returns its path.
    static func makeDirectory(in parent: String) throws -> String {
        try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
        var template = Array((parent + "/ledger-bench-XXXXXX").utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw BenchError("cannot create a scratch directory in \(parent): \(String(cString: strerror(errno)))")
        }
        return String(cString: made)
    }

    static func remove(_ path: String) { try? FileManager.default.removeItem(atPath: path) }

    /// Total size of the regular files under `path`.
    static func size(_ path: String) -> Int64 {
        guard let walker = FileManager.default.enumerator(atPath: path) else { return 0 }
        var total: Int64 = 0
        while let name = walker.nextObject() as? String {
            var info = stat()
            if stat(path + "/" + name, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG { total += Int64(info.st_size) }
        }
        return total
    }
}

/// Removes the scratch directory on SIGINT/SIGTERM. Lives outside main.swift so the handler
/// is not main-actor isolated (it runs on a global dispatch queue).
enum Cleanup {
    nonisolated(unsafe) private static var sources: [DispatchSourceSignal] = []

    static func install(removing path: String) {
        for sig in [SIGINT, SIGTERM] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler { @Sendable in
                Scratch.remove(path)
                FileHandle.standardError.write(Data("ledger-bench: interrupted; removed \(path)\n".utf8))
                exit(130)
            }
            source.resume()
            sources.append(source)
        }
    }
}

struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

// MARK: Statistics and formatting

func percentile(_ sorted: [Double], _ p: Double) -> Double {
    guard !sorted.isEmpty else { return 0 }
    let rank = min(sorted.count - 1, max(0, Int((p * Double(sorted.count - 1)).rounded())))
    return sorted[rank]
}

/// 1234567 → "1,234,567".
func grouped(_ value: Double) -> String {
    let rounded = Int64(value.rounded())
    let digits = String(abs(rounded))
    var out = ""
    for (i, ch) in digits.enumerated() {
        if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
        out.append(ch)
    }
    return (rounded < 0 ? "-" : "") + out
}

func grouped(_ value: Int) -> String { grouped(Double(value)) }
func grouped(_ value: Int64) -> String { grouped(Double(value)) }

func fixed(_ value: Double, _ digits: Int) -> String { String(format: "%.\(digits)f", value) }

func megabytes(_ bytes: Int64) -> String { fixed(Double(bytes) / 1e6, 1) + " MB" }

func millis(_ seconds: Double) -> String { fixed(seconds * 1000, seconds < 0.01 ? 2 : 1) + " ms" }

func percent(_ ratio: Double) -> String { fixed(ratio * 100, 0) + "%" }

func pad(_ text: String, _ width: Int, right: Bool = false) -> String {
    let count = text.count
    guard count < width else { return text }
    let fill = String(repeating: " ", count: width - count)
    return right ? fill + text : text + fill
}

/// Progress to stderr, so stdout carries only the report.
func progress(_ message: String) {
    FileHandle.standardError.write(Data(("· " + message + "\n").utf8))
}
