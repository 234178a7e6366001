/// The Chatwoot REST calls an Agent Bot may make with its own access token (docs/chatwoot-protocol.md §7.1).
///
/// ``HTTPChatwootAPI`` talks to a real Chatwoot; ``InMemoryChatwootAPI`` records calls for tests.
/// Implementations make exactly one attempt: retrying belongs to the caller (the outbox), which
/// can use ``ChatwootAPIError/isRetryable``. `createMessage` is not idempotent: after a timeout the
/// message may exist; use ``OutgoingMessage/echoId`` to recognise it.
public protocol ChatwootAPI: Sendable {
    /// `POST …/conversations/{id}/messages`. Returns the created message (push shape,
    /// `message_type` as an integer). Chatwoot sends the new message back as `message_created`.
    func createMessage(
        _ message: OutgoingMessage,
        in conversation: ConversationAddress
    ) async throws(ChatwootAPIError) -> PushMessage

    /// `POST …/toggle_status`. `.open` from `pending` is the bot hand-off.
    func toggleStatus(
        _ change: ConversationStatusChange,
        in conversation: ConversationAddress
    ) async throws(ChatwootAPIError) -> ToggleStatusResult

    /// `POST …/toggle_priority`; `nil` clears the priority (v3.6+).
    func togglePriority(
        _ priority: Priority?,
        in conversation: ConversationAddress
    ) async throws(ChatwootAPIError)

    /// `POST …/custom_attributes` (v4.5+). Chatwoot **replaces the whole hash** with `attributes`:
    /// merge with the current attributes (from the last webhook) before calling.
    /// Returns the attributes Chatwoot stored.
    func updateCustomAttributes(
        _ attributes: [String: JSONValue],
        in conversation: ConversationAddress
    ) async throws(ChatwootAPIError) -> [String: JSONValue]

    /// `POST …/assignments` (v3.6+; bot assignee v4.8+). Returns Chatwoot's answer as is: the
    /// agent, bot or team object, or `.null`.
    func assign(
        _ assignee: Assignee,
        in conversation: ConversationAddress
    ) async throws(ChatwootAPIError) -> JSONValue

    /// `POST …/toggle_typing_status` (v4.11.2+).
    func toggleTyping(
        on: Bool,
        isPrivate: Bool,
        in conversation: ConversationAddress
    ) async throws(ChatwootAPIError)
}
