import Foundation
import NIOConcurrencyHelpers

/// Wakes waiters whenever something observable changed (a request, a delivery attempt, a state
/// change), so tests can await a condition without sleeping.
final class ChangeSignal: Sendable {
    private struct State {
        var version = 0
        var waiters: [UUID: CheckedContinuation<Void, Never>] = [:]
    }

    private let state = NIOLockedValueBox(State())

    /// Increases on every ``notify()``.
    var version: Int { state.withLockedValue { $0.version } }

    func notify() {
        let waiters = state.withLockedValue { state in
            state.version += 1
            defer { state.waiters.removeAll() }
            return Array(state.waiters.values)
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Returns once ``version`` is greater than `version`, or when the task is cancelled.
    func wait(after version: Int) async {
        let id = UUID()
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let resumeNow = state.withLockedValue { state in
                    if state.version > version || Task.isCancelled { return true }
                    state.waiters[id] = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            state.withLockedValue { $0.waiters.removeValue(forKey: id) }?.resume()
        }
    }
}
