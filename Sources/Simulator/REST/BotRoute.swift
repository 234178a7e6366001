/// One of the endpoints a bot token may call (docs/chatwoot-protocol.md §7.1, `BOT_ACCESSIBLE_ENDPOINTS`).
///
/// Any other method and path, including real Chatwoot endpoints such as `GET` on a conversation,
/// labels or contacts, has no route: Chatwoot answers those with 401
/// `{"error":"Access to this endpoint is not authorized for bots"}`.
struct BotRoute: Sendable, Hashable {
    enum Action: Sendable, Hashable {
        /// `POST /conversations`
        case createConversation
        /// `POST /conversations/{id}/messages`
        case createMessage
        /// `POST /conversations/{id}/toggle_status`
        case toggleStatus
        /// `POST /conversations/{id}/toggle_priority`
        case togglePriority
        /// `POST /conversations/{id}/custom_attributes`
        case customAttributes
        /// `POST /conversations/{id}/assignments`
        case assignments
        /// `POST /conversations/{id}/toggle_typing_status`
        case toggleTypingStatus
        /// `PATCH` or `PUT /conversations/{id}`
        case updateConversation
    }

    /// The `{account_id}` path segment, as sent.
    var accountId: String
    /// The `{id}` path segment (a display id), as sent; `nil` for ``Action/createConversation``.
    var conversationId: String?
    var action: Action

    /// Matches `method` and `path` (without query) against the bot-accessible endpoints under
    /// `/api/v1/accounts/{account_id}`. A trailing slash is ignored.
    init?(method: String, path: String) {
        let segments = path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        guard segments.count >= 5, segments[0] == "api", segments[1] == "v1", segments[2] == "accounts",
            segments[4] == "conversations"
        else { return nil }
        accountId = segments[3]
        switch (method.uppercased(), segments.count) {
        case ("POST", 5):
            conversationId = nil
            action = .createConversation
        case ("PATCH", 6), ("PUT", 6):
            conversationId = segments[5]
            action = .updateConversation
        case ("POST", 7):
            conversationId = segments[5]
            let actions: [String: Action] = [
                "messages": .createMessage,
                "toggle_status": .toggleStatus,
                "toggle_priority": .togglePriority,
                "custom_attributes": .customAttributes,
                "assignments": .assignments,
                "toggle_typing_status": .toggleTypingStatus,
            ]
            guard let found = actions[segments[6]] else { return nil }
            action = found
        default:
            return nil
        }
    }
}
