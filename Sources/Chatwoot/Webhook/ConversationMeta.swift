/// The `meta` object of a conversation: who the customer is and who owns it (docs/chatwoot-protocol.md §4.3).
public struct ConversationMeta: Sendable, Hashable, Codable {
    /// The contact, in push shape.
    public var sender: Sender?
    /// A user or an agent bot, or `nil` when unassigned.
    public var assignee: Sender?
    /// `"User"`, `"AgentBot"` or `nil` (v4.8+).
    public var assigneeType: String?
    public var team: TeamRef?
    public var hmacVerified: Bool?

    public init(
        sender: Sender? = nil,
        assignee: Sender? = nil,
        assigneeType: String? = nil,
        team: TeamRef? = nil,
        hmacVerified: Bool? = nil
    ) {
        self.sender = sender
        self.assignee = assignee
        self.assigneeType = assigneeType
        self.team = team
        self.hmacVerified = hmacVerified
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.sender = container.lenient(forKey: .sender)
        self.assignee = container.lenient(forKey: .assignee)
        self.assigneeType = container.lenient(forKey: .assigneeType)
        self.team = container.lenient(forKey: .team)
        self.hmacVerified = container.lenient(forKey: .hmacVerified)
    }

    enum CodingKeys: String, CodingKey {
        case sender, assignee, team
        case assigneeType = "assignee_type"
        case hmacVerified = "hmac_verified"
    }
}
