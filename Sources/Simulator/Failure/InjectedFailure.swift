/// How the simulated Chatwoot or a sample backend misbehaves for a call picked by
/// ``ChatwootSimulator/failNext(_:pathMatching:method:with:)`` or
/// ``SampleBackends/failNext(_:pathMatching:method:with:)``.
///
/// Except for ``slowResponse(_:)`` and ``answerLost(status:)``, the call has **no effect**: nothing is stored, no webhook is
/// sent and no booking is made, as when a proxy or rate limiter in front of the system fails.
public enum InjectedFailure: Sendable, Hashable {
    /// Answers with `status` and `body`. A `nil` body picks the system's usual one. Chatwoot:
    /// `Retry later` for 429 (rack-attack), `{"status":500,"error":"Internal Server Error"}` for
    /// 5xx, `{"error":"…"}` otherwise. Sample backends: `{"error":"…"}`.
    case status(Int, body: String? = nil)
    /// Holds the request for `duration`, then closes the connection without answering: the client
    /// sees its own timeout (if shorter) or a dropped connection.
    case timeout(Duration)
    /// Closes the connection at once without answering.
    case closeConnection
    /// Performs the call normally, then waits `duration` before answering: the call **takes
    /// effect** even if the client gives up first (the ambiguous timeout that `echo_id` exists for).
    case slowResponse(Duration)
    /// Performs the call normally, then answers `status` with the usual body instead of the real
    /// answer, as a gateway in front of the system does when that answer is lost on its way (502
    /// Bad Gateway, 504 Gateway Timeout): the call **takes effect**, the client sees a failure.
    case answerLost(status: Int)
}
