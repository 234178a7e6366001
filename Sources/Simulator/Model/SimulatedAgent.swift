/// A human agent (a Chatwoot `User` in the account).
public struct SimulatedAgent: Sendable, Hashable {
    public var id: Int
    public var accountId: Int
    public var name: String
    public var email: String
    /// `online`, `busy` or `offline`.
    public var availabilityStatus: String

    public init(id: Int, accountId: Int, name: String, email: String, availabilityStatus: String = "online") {
        self.id = id
        self.accountId = accountId
        self.name = name
        self.email = email
        self.availabilityStatus = availabilityStatus
    }
}
