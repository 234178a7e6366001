import Foundation

/// How the outbox performs effects.
public struct OutboxConfiguration: Sendable {
    public var retry = RetryPolicy()
    /// After a restart, customer-visible messages decided but without a result wait this long
    /// for their echo (a `message_created` carrying our `source_id`) before they are re-sent:
    /// Chatwoot delivers the echo within seconds of creating the message.
    public var echoGracePeriod: Duration = .seconds(10)
    /// After a message create timed out or lost its connection (it may have been created), how
    /// long to wait for its echo before creating it again.
    public var ambiguousCreateWait: Duration = .seconds(5)
    /// Attempts for a lookup (a customer is waiting on it: fail over to the policy's fallback
    /// or hand-off rather than retry for minutes).
    public var lookupAttempts = 3
    /// A message for the customer decided longer ago than this is not sent (recorded `failed`):
    /// after the outbox was down or absent for a while (`serve` first run without
    /// `--chatwoot-url`, say), "Hi! How can I help?" an hour late answers a moment that has
    /// passed. Private notes and status changes still go: the agent needs them late too. nil: no limit.
    public var maximumMessageAge: Duration? = .seconds(3600)
    /// The wall clock the age is measured with (tests set it).
    public var wallClock: @Sendable () -> Date = Date.init

    public init() {}
}
