/// Counters for one UTC day (and account), or the increments one event adds to them.
///
/// The day is the UTC day of the ledger event's recorded time, so a rebuild files every
/// increment under the same day as the live projection did.
public struct DailyMetrics: Sendable, Equatable, Codable {
    /// Conversations seen for the first time.
    public var conversationsStarted = 0
    /// `pending` → `open` transitions.
    public var handoffs = 0
    /// Resolutions with no human involved since the conversation was last resolved.
    public var resolvedByBot = 0
    /// Resolutions after a hand-off or a human agent's reply.
    public var resolvedByAgent = 0
    /// Incoming, non-private messages.
    public var customerMessages = 0
    /// Outgoing, non-private messages from a bot, counted from their echoes.
    public var botReplies = 0
    /// Outgoing, non-private messages from human agents.
    public var agentReplies = 0
    /// Decisions whose explanation says `"fallback": true` (see ``StateUpdate``).
    public var fallbacks = 0
    /// Commands that failed for good.
    public var effectsFailed = 0

    public init() {}

    public var isZero: Bool { self == DailyMetrics() }

    public static func += (lhs: inout DailyMetrics, rhs: DailyMetrics) {
        lhs.conversationsStarted += rhs.conversationsStarted
        lhs.handoffs += rhs.handoffs
        lhs.resolvedByBot += rhs.resolvedByBot
        lhs.resolvedByAgent += rhs.resolvedByAgent
        lhs.customerMessages += rhs.customerMessages
        lhs.botReplies += rhs.botReplies
        lhs.agentReplies += rhs.agentReplies
        lhs.fallbacks += rhs.fallbacks
        lhs.effectsFailed += rhs.effectsFailed
    }
}
