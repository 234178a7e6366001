import NIOConcurrencyHelpers

/// Resumes a start request exactly once, with the first outcome reported.
final class StartReport: Sendable {
    private let continuation: NIOLockedValueBox<CheckedContinuation<Int, any Error>?>

    init(_ continuation: CheckedContinuation<Int, any Error>?) {
        self.continuation = NIOLockedValueBox(continuation)
    }

    func resolve(_ result: Result<Int, SimulatorError>) {
        let pending = continuation.withLockedValue { value in
            defer { value = nil }
            return value
        }
        pending?.resume(with: result.mapError { $0 as any Error })
    }
}
