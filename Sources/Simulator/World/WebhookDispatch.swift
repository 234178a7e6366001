import Chatwoot

/// A webhook the simulated Chatwoot decided to send to the bot, built when the event happened
/// (docs/chatwoot-protocol.md §3.5: the payload shows the state at that moment).
struct WebhookDispatch: Sendable, Hashable {
    /// The `event` value, for example `message_created`.
    var event: String
    /// The whole body, including `event`.
    var payload: JSONValue
    var accountId: Int
    /// The conversation's display id, when the event belongs to one.
    var conversationDisplayId: Int?
    /// The message id for `message_*` events; failure handling (§3.4) applies only to those.
    var messageId: Int?
}
