import Foundation

/// The agent bot under test: its identity, REST token and webhook target (docs/chatwoot-protocol.md §1).
///
/// The access token and secret never appear in `print`, `dump` or string interpolation output.
public struct SimulatedBot: Sendable, Hashable, CustomReflectable {
    public var id: Int
    /// The bot's own account. It may also act in accounts where it is connected to an inbox.
    public var accountId: Int
    public var name: String
    public var description: String
    /// The `api_access_token` the bot must send.
    public var accessToken: String
    /// The webhook-signing secret (v4.13+); `nil` sends unsigned deliveries, as older versions do.
    public var secret: String?
    /// Where webhooks go. `nil` means Chatwoot makes no delivery at all (blank `outgoing_url`).
    public var outgoingURL: URL?

    public init(
        id: Int,
        accountId: Int,
        name: String,
        description: String = "",
        accessToken: String,
        secret: String? = nil,
        outgoingURL: URL? = nil
    ) {
        self.id = id
        self.accountId = accountId
        self.name = name
        self.description = description
        self.accessToken = accessToken
        self.secret = secret
        self.outgoingURL = outgoingURL
    }

    public var customMirror: Mirror {
        Mirror(self, children: ["id": id, "accountId": accountId, "name": name, "outgoingURL": outgoingURL as Any])
    }
}
