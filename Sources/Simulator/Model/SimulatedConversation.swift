import Chatwoot
import Foundation

/// A conversation as the simulated Chatwoot stores it.
public struct SimulatedConversation: Sendable, Hashable {
    /// The database id (never used in API paths).
    public internal(set) var id: Int
    /// The per-account number used in API paths and as `conversation.id` in webhooks.
    public internal(set) var displayId: Int
    public internal(set) var accountId: Int
    public internal(set) var inboxId: Int
    public internal(set) var contactId: Int
    public internal(set) var contactInboxId: Int
    public internal(set) var status: ConversationStatus
    public internal(set) var priority: Priority?
    public internal(set) var snoozedUntil: Date?
    public internal(set) var customAttributes: [String: JSONValue]
    public internal(set) var additionalAttributes: [String: JSONValue]
    public internal(set) var labels: [String]
    /// A human agent or the bot (v4.8+); assigning a human clears a bot assignee.
    public internal(set) var assignee: SimulatedParticipant?
    public internal(set) var teamId: Int?
    /// Set while the customer waits for a reply; cleared by a public reply from an agent or the bot.
    public internal(set) var waitingSince: Date?
    public internal(set) var firstReplyCreatedAt: Date?
    public internal(set) var lastActivityAt: Date
    public internal(set) var createdAt: Date
    public internal(set) var updatedAt: Date
    /// The last `typing_status` the bot sent (`"on"`, `"off"`…), or `nil`.
    public internal(set) var botTypingStatus: String?

    /// The REST address of the conversation.
    public var address: ConversationAddress {
        ConversationAddress(accountId: accountId, conversationId: displayId)
    }
}
