import Foundation

/// Runs blocking or CPU-heavy work (reading a long stretch of the ledger, child processes) on a
/// thread of its own, off Swift's cooperative pool.
///
/// Why a thread and not `DispatchQueue.global()`: on Linux both share one pool as wide as the
/// machine has cores (two here), so work holding it for seconds starves every HTTP server and
/// client beside it — webhooks included, whose deadlines then fire.
public func onOwnThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread { continuation.resume(with: Result { try body() }) }
        thread.stackSize = 8 << 20
        thread.start()
    }
}
