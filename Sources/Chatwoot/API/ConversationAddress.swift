import JSONScan

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

extension ConversationAddress: JSONWritable {
    /// What ``JSONScan/CanonicalJSONEncoder`` writes through `encode(to:)`.
    public func writeJSON(to out: inout [UInt8]) throws {
        var object = JSONObjectWriter(&out)
        object.integer("account_id", accountId, &out)
        object.integer("conversation_id", conversationId, &out)
        object.close(&out)
    }
}
