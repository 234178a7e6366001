/// Identifies a conversation in REST paths: `/api/v1/accounts/{accountId}/conversations/{conversationId}`.
///
/// `conversationId` is the **display id** (`conversation.id` in webhooks), not the database id.
public struct ConversationAddress: Sendable, Hashable, Codable, CustomStringConvertible {
    public var accountId: Int
    public var conversationId: Int

    public init(accountId: Int, conversationId: Int) {
        self.accountId = accountId
        self.conversationId = conversationId
    }

    public var description: String { "account \(accountId) conversation \(conversationId)" }

    enum CodingKeys: String, CodingKey {
        case accountId = "account_id"
        case conversationId = "conversation_id"
    }
}
