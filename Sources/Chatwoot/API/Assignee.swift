/// The target of `POST …/assignments` (docs/chatwoot-protocol.md §7.4).
///
/// Assigning a human clears the conversation's bot assignee; a bot that received events only as
/// assignee then stops receiving them.
public enum Assignee: Sendable, Hashable {
    /// A human agent (user id).
    case agent(id: Int)
    /// An agent bot (v4.8+).
    case agentBot(id: Int)
    /// A team.
    case team(id: Int)
    /// Removes the human assignee (`assignee_id: null`).
    case unassigned

    /// The request body.
    public var jsonValue: JSONValue {
        switch self {
        case .agent(let id): ["assignee_id": .int(id)]
        case .agentBot(let id): ["assignee_id": .int(id), "assignee_type": "AgentBot"]
        case .team(let id): ["team_id": .int(id)]
        case .unassigned: ["assignee_id": nil]
        }
    }
}
