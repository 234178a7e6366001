/// Who sent a message, from the sender object's `type` (docs/chatwoot-protocol.md §4.2, §4.4).
///
/// Use ``init(typeField:)``: a sender object without a `type` key is a contact, because
/// `Contact#webhook_data` adds none. A `null` sender (system and template messages) has no kind.
public enum SenderKind: ChatwootEnum {
    case contact
    case user
    case agentBot
    case captainAssistant
    /// A value this version of the module does not know, kept verbatim.
    case other(String)

    public init(rawValue: String) {
        switch rawValue {
        case "contact": self = .contact
        case "user": self = .user
        case "agent_bot": self = .agentBot
        case "captain_assistant": self = .captainAssistant
        default: self = .other(rawValue)
        }
    }

    public var rawValue: String {
        switch self {
        case .contact: "contact"
        case .user: "user"
        case .agentBot: "agent_bot"
        case .captainAssistant: "captain_assistant"
        case .other(let value): value
        }
    }
}
