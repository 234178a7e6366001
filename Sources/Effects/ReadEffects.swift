import Chatwoot
import Domain
import Foundation
import Logging
import NLUAdapters

/// The effects that only ask — a lookup and an external NLU call — performed with their retry
/// rules into the ``EffectResult`` that gets recorded. The outbox records what these return;
/// `ledgerbot replay --live` performs, through the same code, the read-only ones a new bot
/// version asks that the ledger never recorded.
public struct ReadEffects: LiveEffects {
    let lookups: (any LookupPerformer)?
    let nlu: (any ExternalNLU)?
    let retry: RetryPolicy
    let lookupAttempts: Int
    let readsOnly: Bool
    let logger: Logger

    /// - Parameter readsOnly: for `replay --live`: an NLU service that keeps dialog state is not
    ///   asked either — a call would move the live conversation's dialog on (its session is the
    ///   conversation's) and run the agent's fulfillment, which may write.
    public init(lookups: (any LookupPerformer)?, nlu: (any ExternalNLU)?, retry: RetryPolicy = RetryPolicy(), lookupAttempts: Int = 3,
                readsOnly: Bool = false, logger: Logger) {
        self.lookups = lookups
        self.nlu = nlu
        self.retry = retry
        self.lookupAttempts = lookupAttempts
        self.readsOnly = readsOnly
        self.logger = logger
    }

    public func perform(_ command: Command, decision: UInt64, index: Int) async -> EffectResult? {
        switch command {
        case .lookup(let call) where call.isReadOnly: return await lookup(call, decision: decision, index: index)
        case .understand where readsOnly && nlu?.keepsDialogState == true: return nil
        case .understand(let request): return await understand(request, decision: decision, index: index)
        default: return nil
        }
    }

    /// GETs are retried on 429/5xx/timeouts; an action (non-GET) only when it carries an
    /// idempotency key, so a retry cannot book twice.
    public func lookup(_ call: LookupCall, decision: UInt64, index: Int) async -> EffectResult {
        let kind = Command.lookup(call).kind
        let start = ContinuousClock.now
        guard let lookups else { return Self.unavailable(decision: decision, index: index, kind: kind, "no lookup performer configured") }
        var retry = retry
        if !call.isReadOnly && call.idempotencyKey == nil { retry.maximumAttempts = 1 }
        retry.maximumAttempts = min(retry.maximumAttempts, lookupAttempts)
        let logger = logger
        let result = await withRetry(retry, clock: ContinuousClock()) { await lookups.attempt(call) } onAttempt: { attempt, outcome in
            if case .retryable(let status, _, _) = outcome {
                logger.info("lookup failed; retrying", metadata: ["lookup.name": "\(call.name)", "effect.attempt": "\(attempt)",
                                                                  "http.status": "\(status.map(String.init) ?? "transport")"])
            }
        }
        return Self.recorded(result, decision: decision, index: index, kind: kind, since: start, data: result.value?.jsonValue)
    }

    /// A retryable failure is tried once more (the customer waits) — by a service that keeps
    /// dialog state only after a 429: a timeout or a 5xx may have moved its dialog on and run its
    /// fulfillment, which a second call would do again. The answer or the failure is the result
    /// either way, and the policy's `on_error` decides.
    public func understand(_ request: UnderstandRequest, decision: UInt64, index: Int) async -> EffectResult {
        let kind = Command.understand(request).kind
        let start = ContinuousClock.now
        guard let nlu else { return Self.unavailable(decision: decision, index: index, kind: kind, "no NLU service configured for \(request.engine)") }
        var retry = retry
        retry.maximumAttempts = 2
        let result = await withRetry(retry, clock: ContinuousClock()) { () async -> AttemptOutcome<NLUResult> in
            switch await nlu.understand(request.text, session: request.session, messageId: request.messageId) {
            case .understood(let answer): return .success(answer)
            case .failed(let failure):
                let mayRepeat = failure.retryable && (!nlu.keepsDialogState || failure.kind == .rateLimited)
                return mayRepeat ? .retryable(status: failure.status, message: failure.message, retryAfterSeconds: failure.retryAfterSeconds)
                                         : .final(status: failure.status, message: failure.message)
            }
        }
        let data = result.value.flatMap { try? JSONDecoder().decode(JSONValue.self, from: JSONEncoder().encode($0)) }
        return Self.recorded(result, decision: decision, index: index, kind: kind, since: start, data: data)
    }

    /// A command that could not be tried at all: failed, no attempt.
    private static func unavailable(decision: UInt64, index: Int, kind: String, _ reason: String) -> EffectResult {
        EffectResult(decision: decision, command: index, kind: kind, outcome: .failed, attempts: 0, latencyMilliseconds: 0, error: reason)
    }

    /// What the attempts came to: ok with `data` when one succeeded, else failed with the last
    /// status and (a bounded excerpt of) the last error.
    private static func recorded<Success>(_ result: RetryResult<Success>, decision: UInt64, index: Int, kind: String,
                                          since start: ContinuousClock.Instant, data: JSONValue?) -> EffectResult {
        EffectResult(decision: decision, command: index, kind: kind, outcome: result.value == nil ? .failed : .ok, status: result.lastStatus,
                     attempts: result.attempts, latencyMilliseconds: Int((ContinuousClock.now - start).inSeconds * 1000),
                     error: result.lastError.map { String($0.prefix(500)) }, data: data)
    }
}
