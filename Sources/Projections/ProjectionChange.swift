import Chatwoot

/// What one event changed in a ``ConversationStore``.
public struct ProjectionChange: Sendable, Equatable {
    public var conversation: ConversationAddress?
    /// Contacts whose record changed (a conversation moving between contacts changes two).
    public var contacts: [ContactKey] = []
    /// Increments for ``day`` and the conversation's account.
    public var metrics = DailyMetrics()
    /// Days since 1970-01-01 (UTC) of the event's recorded time.
    public var day: Int64 = 0

    public init() {}
}
