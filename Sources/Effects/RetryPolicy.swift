import Foundation
import Ledger

/// The one backoff schedule for retried effects (Chatwoot calls, GET lookups, NLU calls):
/// a base delay that doubles each attempt, capped, with ±3% jitter (as AsyncHTTPClient's
/// connection backoff). With the defaults the waits are about 0.25, 0.5, 1, 2, 4, 8, 16, 30, 30 s.
public struct RetryPolicy: Sendable {
    public var baseDelay: Duration = .milliseconds(250)
    public var multiplier: Double = 2
    public var maximumDelay: Duration = .seconds(30)
    /// Total attempts, the first included.
    public var maximumAttempts = 10
    public var jitter = 0.03

    public init() {}

    /// The wait after `failedAttempt` (1-based) failed; at least what the server asked for
    /// (`Retry-After`), but never more than ``maximumDelay`` (a hint of a day must not wedge a
    /// conversation's queue).
    public func delay(afterAttempt failedAttempt: Int, serverAsked: Duration? = nil, random: Double = Double.random(in: -1...1)) -> Duration {
        let base = baseDelay.inSeconds
        let cap = maximumDelay.inSeconds
        let backoff = min(base * pow(multiplier, Double(failedAttempt - 1)), cap) * (1 + jitter * random)
        return .nanoseconds(Int64(max(backoff, min(serverAsked?.inSeconds ?? 0, cap)) * 1e9))
    }
}

/// How one attempt ended, for ``withRetry(_:clock:operation:onAttempt:)``.
public enum AttemptOutcome<Success: Sendable>: Sendable {
    case success(Success)
    /// Worth another try (429, 5xx, timeout, connection error). `after`: how long the server
    /// asked to be left alone (`Retry-After`); the wait is at least that, up to the policy's
    /// maximum delay.
    case retryable(status: Int?, message: String, after: Duration? = nil)
    /// Another try would fail the same way (4xx other than 429, invalid request).
    case final(status: Int?, message: String)

    /// Retryable, with the `Retry-After` seconds as the server sent them (nil: none sent).
    public static func retryable(status: Int?, message: String, retryAfterSeconds: Int?) -> Self {
        .retryable(status: status, message: message, after: retryAfterSeconds.map { .seconds($0) })
    }
}

/// The result of ``withRetry(_:clock:operation:onAttempt:)``.
public struct RetryResult<Success: Sendable>: Sendable {
    public var value: Success?
    public var attempts: Int
    public var lastStatus: Int?
    public var lastError: String?
}

/// Runs `operation` until it succeeds, fails for good, or the policy's attempts run out,
/// sleeping on `clock` between attempts. Cancellation stops the waiting (the last outcome stands).
public func withRetry<Success: Sendable, C: Clock>(
    _ policy: RetryPolicy,
    clock: C,
    operation: () async -> AttemptOutcome<Success>,
    onAttempt: (Int, AttemptOutcome<Success>) -> Void = { _, _ in }
) async -> RetryResult<Success> where C.Duration == Duration {
    var attempt = 0
    while true {
        attempt += 1
        let outcome = await operation()
        onAttempt(attempt, outcome)
        switch outcome {
        case .success(let value):
            return RetryResult(value: value, attempts: attempt, lastStatus: nil, lastError: nil)
        case .final(let status, let message):
            return RetryResult(value: nil, attempts: attempt, lastStatus: status, lastError: message)
        case .retryable(let status, let message, let after):
            guard attempt < policy.maximumAttempts, !Task.isCancelled else {
                return RetryResult(value: nil, attempts: attempt, lastStatus: status, lastError: message)
            }
            do {
                try await clock.sleep(for: policy.delay(afterAttempt: attempt, serverAsked: after))
            } catch {
                return RetryResult(value: nil, attempts: attempt, lastStatus: status, lastError: message)
            }
        }
    }
}
