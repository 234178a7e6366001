import Foundation
import Ledger

/// A unique temporary directory, removed when the value is dropped.
public final class TemporaryDirectory: @unchecked Sendable {
    // Immutable after init.
    public let path: String
    public init() {
        path = NSTemporaryDirectory() + "/ledgerbot-test-" + UUID().uuidString
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(atPath: path) } // best effort: a leftover temp dir harms nothing
}

/// The repository's `Tests/Fixtures` folder (fixtures are read from the source tree).
public func fixturesDirectory(file: String = #filePath) -> URL {
    var url = URL(fileURLWithPath: file)
    while url.path != "/" {
        url.deleteLastPathComponent()
        let candidate = url.appendingPathComponent("Tests/Fixtures")
        if FileManager.default.fileExists(atPath: candidate.path) { return candidate }
    }
    fatalError("Tests/Fixtures not found above \(file)")
}

/// The bytes of `Tests/Fixtures/chatwoot/NAME`.
public func chatwootFixture(_ name: String) throws -> [UInt8] {
    [UInt8](try Data(contentsOf: fixturesDirectory().appendingPathComponent("chatwoot/\(name)")))
}

/// Directory holding the built products (`.build/debug`), found from the test bundle.
public func productsDirectory() -> URL {
    let bundle = Bundle.main.bundleURL
    return bundle.lastPathComponent.hasSuffix(".xctest") ? bundle.deletingLastPathComponent() : bundle
}

/// Runs an executable to completion and returns its exit status and output.
@discardableResult
public func runProcess(_ executable: URL, _ arguments: [String], stdin: Data? = nil, environment: [String: String]? = nil) throws -> (status: Int32, stdout: String, stderr: String) {
    let process = Process()
    process.executableURL = executable
    process.arguments = arguments
    if let environment { process.environment = environment }
    let out = Pipe(), err = Pipe(), input = Pipe()
    process.standardOutput = out
    process.standardError = err
    process.standardInput = input
    try process.run()
    // Read stderr concurrently so a chatty child cannot block on a full pipe.
    let errData = LockedBox(Data())
    let errReader = Thread { errData.value = err.fileHandleForReading.readDataToEndOfFile() }
    errReader.start()
    if let stdin { input.fileHandleForWriting.write(stdin) }
    try input.fileHandleForWriting.close()
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    while !errReader.isFinished { usleep(1000) }
    return (process.terminationStatus, String(decoding: outData, as: UTF8.self), String(decoding: errData.value, as: UTF8.self))
}

/// Runs blocking or CPU-heavy work (child processes, pipes, training every example policy) on a
/// thread of its own, off Swift's cooperative pool (``Ledger/onOwnThread(_:)``).
public func offPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await onOwnThread(body)
}

/// A value shared between threads under a lock.
public final class LockedBox<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: Value
    public init(_ value: Value) { stored = value }
    public var value: Value {
        get { lock.withLock { stored } }
        set { lock.withLock { stored = newValue } }
    }
    /// Read-modify-write under the lock.
    @discardableResult
    public func mutate<T>(_ body: (inout Value) -> T) -> T { lock.withLock { body(&stored) } }
}

/// A small deterministic generator (SplitMix64), so randomised test inputs are the same on every
/// run and a failure reproduces.
public struct SeededGenerator: RandomNumberGenerator {
    public var state: UInt64

    public init(state: UInt64) { self.state = state }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
