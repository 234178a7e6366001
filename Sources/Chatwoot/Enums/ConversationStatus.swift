/// `status` of a conversation (docs/chatwoot-protocol.md §5). `pending` means "owned by the bot" (§8).
public enum ConversationStatus: ChatwootEnum {
    case open
    case resolved
    case pending
    case snoozed
    /// A value this version of the module does not know, kept verbatim.
    case other(String)

    public init(rawValue: String) {
        switch rawValue {
        case "open": self = .open
        case "resolved": self = .resolved
        case "pending": self = .pending
        case "snoozed": self = .snoozed
        default: self = .other(rawValue)
        }
    }

    public var rawValue: String {
        switch self {
        case .open: "open"
        case .resolved: "resolved"
        case .pending: "pending"
        case .snoozed: "snoozed"
        case .other(let value): value
        }
    }

    public static func fromCode(_ code: Int) -> Self? {
        switch code {
        case 0: .open
        case 1: .resolved
        case 2: .pending
        case 3: .snoozed
        default: nil
        }
    }
}
