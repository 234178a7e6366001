import Chatwoot

extension MessageType {
    /// The Rails integer code used in push shapes and REST responses (§5).
    var code: Int {
        switch self {
        case .incoming: 0
        case .outgoing: 1
        case .activity: 2
        case .template: 3
        case .other(let value): Int(value) ?? 1
        }
    }
}
