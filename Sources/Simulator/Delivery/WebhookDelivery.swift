import Chatwoot
import Foundation

/// One webhook the simulated Chatwoot sent (or is sending) to the bot: a Sidekiq job with its
/// attempts (docs/chatwoot-protocol.md §3).
public struct WebhookDelivery: Sendable, Hashable {
    /// One HTTP POST of the delivery.
    public struct Attempt: Sendable, Hashable {
        /// 1-based.
        public var number: Int
        /// The HTTP status the bot answered; `nil` when no response arrived (timeout, refused, reset).
        public var status: Int?
        /// What went wrong when no response arrived.
        public var error: String?
        /// From sending the request to receiving the response head (or the failure).
        public var latency: Duration
        /// `X-Chatwoot-Timestamp`, when the bot has a secret; recomputed on every attempt. Never
        /// sent without ``DeliveryConfiguration/identifiesDeliveries`` (Chatwoot before v4.13).
        public var timestamp: Int64?
        /// `X-Chatwoot-Signature`, when the bot has a secret (and deliveries are identified).
        public var signature: String?
    }

    /// Where a delivery stands.
    public enum Outcome: Sendable, Hashable {
        /// Attempts are still running or scheduled.
        case inFlight
        /// The bot answered 2xx.
        case delivered
        /// Gave up: a non-retryable answer or error, or the last retry failed. For message events
        /// Chatwoot's failure handling has run.
        case failed
    }

    /// Creation order, starting at 1. Deliveries run concurrently, so the bot may see another order.
    public var sequence: Int
    /// `X-Chatwoot-Delivery`: the same for every attempt (the job's id, kept even when the header
    /// is not sent: ``DeliveryConfiguration/identifiesDeliveries``).
    public var deliveryId: UUID
    /// The `event` value.
    public var event: String
    /// The exact request body (every attempt sends the same bytes).
    public var body: Data
    public var accountId: Int
    /// The conversation's display id, when the event belongs to one.
    public var conversationId: Int?
    /// The message id, for `message_*` events.
    public var messageId: Int?
    public var attempts: [Attempt]
    public var outcome: Outcome

    /// The body as JSON.
    public var payload: JSONValue {
        (try? JSONDecoder().decode(JSONValue.self, from: body)) ?? .null
    }

    /// The status of the last attempt.
    public var lastStatus: Int? { attempts.last?.status }
}
