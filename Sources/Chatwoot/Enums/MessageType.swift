/// `message_type` of a message (docs/chatwoot-protocol.md §5).
///
/// A string (`"incoming"`) at the webhook top level, an integer (`0`) in nested push shapes and
/// REST responses; both decode to the same case.
public enum MessageType: ChatwootEnum {
    case incoming
    case outgoing
    case activity
    case template
    /// A value this version of the module does not know, kept verbatim.
    case other(String)

    public init(rawValue: String) {
        switch rawValue {
        case "incoming": self = .incoming
        case "outgoing": self = .outgoing
        case "activity": self = .activity
        case "template": self = .template
        default: self = .other(rawValue)
        }
    }

    public var rawValue: String {
        switch self {
        case .incoming: "incoming"
        case .outgoing: "outgoing"
        case .activity: "activity"
        case .template: "template"
        case .other(let value): value
        }
    }

    public static func fromCode(_ code: Int) -> Self? {
        switch code {
        case 0: .incoming
        case 1: .outgoing
        case 2: .activity
        case 3: .template
        default: nil
        }
    }
}
