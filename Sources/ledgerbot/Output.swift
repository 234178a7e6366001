import Foundation

/// Unbuffered-enough output: stdout is written in large chunks, stderr immediately.
final class FileHandleOutput: @unchecked Sendable {
    // Confined to the command's task; the lock-free buffer is only touched by `write`/`flush` callers in sequence.
    private let handle: FileHandle
    private var buffer: [UInt8] = []
    private let flushAt: Int

    init(handle: FileHandle, flushAt: Int) {
        self.handle = handle
        self.flushAt = flushAt
    }

    static let standardError = FileHandleOutput(handle: .standardError, flushAt: 0)
    /// Standard output written at once (a transcript a person watches).
    static let standardOutput = FileHandleOutput(handle: .standardOutput, flushAt: 0)

    func write(_ text: String) { write(Array(text.utf8)) }

    func write(_ bytes: [UInt8]) {
        buffer += bytes
        if buffer.count >= flushAt { flush() }
    }

    func flush() {
        guard !buffer.isEmpty else { return }
        handle.write(Data(buffer))
        buffer.removeAll(keepingCapacity: true)
    }
}

/// Progress lines on stderr for long work, at most one a second; rewritten in place on a terminal.
final class Progress {
    private let label: String
    private let started = Date()
    private lazy var lastPrint = started
    private let isTerminal = isatty(STDERR_FILENO) == 1
    private var printed = false
    /// What the last line said, so `finish` does not repeat it.
    private var lastDone: Int?

    init(_ label: String) { self.label = label }

    func update(_ done: Int, total: Int? = nil, unit: String = "events") {
        let now = Date()
        guard now.timeIntervalSince(lastPrint) >= 1 else { return }
        lastPrint = now
        emit(done, total: total, unit: unit, final: false)
    }

    func finish(_ done: Int, unit: String = "events") {
        guard printed, lastDone != done || isTerminal else { return }
        emit(done, total: nil, unit: unit, final: true)
    }

    private func emit(_ done: Int, total: Int?, unit: String, final: Bool) {
        let elapsed = max(Date().timeIntervalSince(started), 0.001)
        let rate = Double(done) / elapsed
        var line = "\(label): \(formatCount(done)) \(unit) (\(formatCount(Int(rate)))/s"
        if let total, total > done, rate > 0 {
            line += ", \(formatCount(total - done)) left, ETA \(Int(Double(total - done) / rate))s"
        }
        line += ")"
        printed = true
        lastDone = done
        if isTerminal {
            FileHandleOutput.standardError.write("\r\u{1B}[K" + line + (final ? "\n" : ""))
        } else {
            FileHandleOutput.standardError.write(line + "\n")
        }
    }
}

func formatCount(_ value: Int) -> String {
    let digits = String(value.magnitude)
    var out = ""
    for (i, c) in digits.enumerated() {
        if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
        out.append(c)
    }
    return (value < 0 ? "-" : "") + out
}

func formatBytes(_ bytes: Int64) -> String {
    let units = ["B", "KiB", "MiB", "GiB", "TiB"]
    var value = Double(bytes)
    var unit = 0
    while value >= 1024 && unit < units.count - 1 {
        value /= 1024
        unit += 1
    }
    return unit == 0 ? "\(bytes) B" : String(format: "%.1f", value) + " " + units[unit]
}

/// Serializes a JSON object with sorted keys (stable output for scripts and snapshots).
func jsonText(_ object: Any) -> String {
    let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes])) ?? Data("{}".utf8)
    return String(decoding: data, as: UTF8.self)
}
