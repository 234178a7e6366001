import Foundation
import LedgerbotTesting

/// Polls `condition` until it returns a value (every 50 ms), or fails after `timeout`.
func waitUntil<T>(_ what: String, timeout: Duration = .seconds(30), _ condition: () async throws -> T?) async throws -> T {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if let value = try await condition() { return value }
        try await Task.sleep(for: .milliseconds(50))
    }
    throw TimedOut(what: what, timeout: timeout)
}

struct TimedOut: Error, CustomStringConvertible {
    var what: String
    var timeout: Duration
    var description: String { "timed out after \(timeout) waiting until \(what)" }
}

/// A child process whose standard error is collected (and drained, so it never blocks).
final class ChildProcess: @unchecked Sendable {
    let process = Process()
    private let collected = LockedBox("")

    init(_ binary: URL, _ arguments: [String], environment: [String: String] = [:]) throws {
        process.executableURL = binary
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        env["LEDGERBOT_WEBHOOK_SECRET"] = nil
        for (key, value) in environment { env[key] = value }
        process.environment = env
        let pipe = Pipe()
        process.standardError = pipe
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let handle = pipe.fileHandleForReading
        let collected = collected
        Thread {
            while true {
                let data = handle.availableData
                if data.isEmpty { return }
                collected.mutate { $0 += String(decoding: data, as: UTF8.self) }
            }
        }.start()
    }

    var output: String { collected.value }

    /// The exit status once the process has ended, nil while it runs.
    var exitStatus: Int32? { process.isRunning ? nil : process.terminationStatus }

    /// The port the child listens on, once it says so; a child that does not within a minute (a
    /// hang guard: starting takes well under a second) fails with what it printed.
    func waitForPort() async throws -> Int {
        do {
            return try await waitUntil("the child prints its port", timeout: .seconds(60)) {
                guard let range = output.range(of: #"listening on http://127\.0\.0\.1:(\d+)"#, options: .regularExpression) else { return nil }
                return Int(output[range].split(separator: ":").last!)
            }
        } catch let timedOut as TimedOut {
            throw TimedOut(what: "\(timedOut.what); it printed:\n\(output.suffix(2000))", timeout: timedOut.timeout)
        }
    }

    func kill() {
        guard process.isRunning else { return }
        Foundation.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }
}
