/// How the outbox performs effects.
public struct OutboxConfiguration: Sendable {
    public var retry = RetryPolicy()
    /// After a restart, customer-visible messages decided but without a result wait this long
    /// for their echo (a `message_created` carrying our `source_id`) before they are re-sent:
    /// Chatwoot delivers the echo within seconds of creating the message.
    public var echoGracePeriod: Duration = .seconds(10)

    public init() {}
}
