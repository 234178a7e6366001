/// `priority` of a conversation (docs/chatwoot-protocol.md §5). A missing or `null` priority is `nil`, not a case.
public enum Priority: ChatwootEnum {
    case low
    case medium
    case high
    case urgent
    /// A value this version of the module does not know, kept verbatim.
    case other(String)

    public init(rawValue: String) {
        switch rawValue {
        case "low": self = .low
        case "medium": self = .medium
        case "high": self = .high
        case "urgent": self = .urgent
        default: self = .other(rawValue)
        }
    }

    public var rawValue: String {
        switch self {
        case .low: "low"
        case .medium: "medium"
        case .high: "high"
        case .urgent: "urgent"
        case .other(let value): value
        }
    }

    public static func fromCode(_ code: Int) -> Self? {
        switch code {
        case 0: .low
        case 1: .medium
        case 2: .high
        case 3: .urgent
        default: nil
        }
    }
}
