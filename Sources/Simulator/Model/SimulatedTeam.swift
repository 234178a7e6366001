/// A team in an account; conversations can be assigned to one.
public struct SimulatedTeam: Sendable, Hashable {
    public var id: Int
    public var accountId: Int
    public var name: String
    public var description: String

    public init(id: Int, accountId: Int, name: String, description: String = "") {
        self.id = id
        self.accountId = accountId
        self.name = name
        self.description = description
    }
}
