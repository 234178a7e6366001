/// A Chatwoot account (`{id, name}` in webhooks).
public struct SimulatedAccount: Sendable, Hashable {
    public var id: Int
    public var name: String
    /// Chatwoot's `keep_pending_on_bot_failure` (v4.11+): when `true`, a failed delivery of a message
    /// event leaves a pending conversation pending instead of opening it (docs/chatwoot-protocol.md §3.4).
    public var keepPendingOnBotFailure: Bool

    public init(id: Int, name: String, keepPendingOnBotFailure: Bool = false) {
        self.id = id
        self.name = name
        self.keepPendingOnBotFailure = keepPendingOnBotFailure
    }
}
