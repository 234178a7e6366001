import Chatwoot

/// Who wrote a message or holds a conversation: a contact, a human agent or the agent bot.
public enum SimulatedParticipant: Sendable, Hashable {
    case contact(id: Int)
    case agent(id: Int)
    case bot(id: Int)

    /// The kind Chatwoot reports in `sender.type`.
    public var kind: SenderKind {
        switch self {
        case .contact: .contact
        case .agent: .user
        case .bot: .agentBot
        }
    }

    /// `sender_type` in push shapes (the Rails class name).
    var railsType: String {
        switch self {
        case .contact: "Contact"
        case .agent: "User"
        case .bot: "AgentBot"
        }
    }

    /// The id when this is a human agent.
    var agentId: Int? {
        if case .agent(let id) = self { return id }
        return nil
    }

    var id: Int {
        switch self {
        case .contact(let id), .agent(let id), .bot(let id): id
        }
    }
}
