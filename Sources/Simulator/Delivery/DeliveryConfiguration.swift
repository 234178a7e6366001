/// How webhooks are delivered (docs/chatwoot-protocol.md §3.3, §3.4).
public struct DeliveryConfiguration: Sendable, Hashable {
    /// Chatwoot's `WEBHOOK_TIMEOUT`: 5 s by default.
    public var timeout: Duration
    /// Attempts for a delivery answered 429 or 500, the first one included: 3 in Chatwoot v4.11.2+.
    public var maximumAttempts: Int
    /// The pause before a retry: about 3 s in Chatwoot. Tests usually shorten it.
    public var retryDelay: Duration
    /// How long a delivery job waits in the queue before its first attempt. Chatwoot's jobs wait
    /// for a Sidekiq worker; under load the echo of a message the bot created can come seconds
    /// after the create's answer. Zero (the default) delivers at once.
    public var queueLatency: Duration
    /// Whether deliveries carry `X-Chatwoot-Delivery` and, when the bot has a secret, its
    /// timestamp and signature: Chatwoot v4.13.0+ (the default). Before v4.13.0, agent-bot
    /// deliveries carry none of them (docs/chatwoot-protocol.md §3.1, §3.2), so a bot must tell a
    /// retry by its content; v4.11.2 – v4.12 do retry 429 and 500.
    public var identifiesDeliveries: Bool

    public init(timeout: Duration = .seconds(5), maximumAttempts: Int = 3, retryDelay: Duration = .seconds(3),
                queueLatency: Duration = .zero, identifiesDeliveries: Bool = true) {
        self.timeout = timeout
        self.maximumAttempts = maximumAttempts
        self.retryDelay = retryDelay
        self.queueLatency = queueLatency
        self.identifiesDeliveries = identifiesDeliveries
    }

    /// Whether Chatwoot retries after `status` (v4.11.2+: only 429 and 500).
    static func isRetryable(_ status: Int) -> Bool {
        status == 429 || status == 500
    }
}
