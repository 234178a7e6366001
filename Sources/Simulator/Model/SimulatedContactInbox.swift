import Foundation

/// The link between a contact and an inbox (docs/chatwoot-protocol.md §4.5).
public struct SimulatedContactInbox: Sendable, Hashable {
    public internal(set) var id: Int
    public internal(set) var contactId: Int
    public internal(set) var inboxId: Int
    /// The widget visitor id (a UUID string for the website widget).
    public internal(set) var sourceId: String
    public internal(set) var pubsubToken: String
    public internal(set) var createdAt: Date
}
