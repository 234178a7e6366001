import Chatwoot
import Foundation

/// A message as the simulated Chatwoot stores it: one transcript entry.
public struct SimulatedMessage: Sendable, Hashable {
    /// Global id, not per conversation.
    public internal(set) var id: Int
    public internal(set) var accountId: Int
    public internal(set) var inboxId: Int
    /// The conversation's database id.
    public internal(set) var conversationId: Int
    /// `activity` messages are kept here but never sent to the bot.
    public internal(set) var messageType: MessageType
    public internal(set) var contentType: ContentType
    public internal(set) var content: String?
    /// Always an object; interactive answers add `submitted_values` / `submitted_email` here.
    public internal(set) var contentAttributes: [String: JSONValue]
    public internal(set) var additionalAttributes: [String: JSONValue]
    public internal(set) var isPrivate: Bool
    public internal(set) var status: MessageStatus
    public internal(set) var sourceId: String?
    /// `nil` for activity and template messages.
    public internal(set) var sender: SimulatedParticipant?
    public internal(set) var createdAt: Date
    public internal(set) var updatedAt: Date

    /// `sender.type` as Chatwoot reports it; `nil` for system messages.
    public var senderKind: SenderKind? { sender?.kind }

    /// `true` for messages shown in the chat: neither activity nor private.
    var isChat: Bool { messageType != .activity && !isPrivate }
}
