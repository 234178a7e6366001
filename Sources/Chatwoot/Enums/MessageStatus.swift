/// Delivery `status` of a message, only present in push shapes and REST responses (docs/chatwoot-protocol.md §5).
public enum MessageStatus: ChatwootEnum {
    case sent
    case delivered
    case read
    case failed
    /// A value this version of the module does not know, kept verbatim.
    case other(String)

    public init(rawValue: String) {
        switch rawValue {
        case "sent": self = .sent
        case "delivered": self = .delivered
        case "read": self = .read
        case "failed": self = .failed
        default: self = .other(rawValue)
        }
    }

    public var rawValue: String {
        switch self {
        case .sent: "sent"
        case .delivered: "delivered"
        case .read: "read"
        case .failed: "failed"
        case .other(let value): value
        }
    }

    public static func fromCode(_ code: Int) -> Self? {
        switch code {
        case 0: .sent
        case 1: .delivered
        case 2: .read
        case 3: .failed
        default: nil
        }
    }
}
