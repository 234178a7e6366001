import Chatwoot

/// What one event changed in a ``ConversationStore``.
public struct ProjectionChange: Sendable, Equatable {
    /// The conversation the event belongs to (set even when it changed nothing).
    public var conversation: ConversationAddress?
    /// Whether the conversation's state changed.
    public var changed = false
    /// Contacts whose record changed (a conversation moving between contacts changes two).
    public var contacts: [ContactKey] = []
    /// Increments for ``day`` and the conversation's account.
    public var metrics = DailyMetrics()
    /// Days since 1970-01-01 (UTC) of the event's recorded time.
    public var day: Int64 = 0
    /// The conversation's state before the event (nil when the event started it): what the
    /// reactor decides on.
    public var before: ConversationState?
    /// The conversation's state after the event (nil when the event was not routed to one).
    public var after: ConversationState?
    /// The event as the store read it (``Projector/Input/ignored`` for a skipped event).
    public var input: Projector.Input = .ignored

    public init() {}
}
