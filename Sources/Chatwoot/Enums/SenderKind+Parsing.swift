extension SenderKind {
    /// The kind for a sender object's `type` field; a missing `type` means a contact
    /// (docs/chatwoot-protocol.md §4.2).
    public init(typeField: String?) {
        self = typeField.map(SenderKind.init(rawValue:)) ?? .contact
    }

    /// The kind for a push-shape message's `sender_type` column (`"Contact"`, `"User"`,
    /// `"AgentBot"`, `"Captain::Assistant"`), or `nil` when it is `null` (docs/chatwoot-protocol.md §4.4).
    public init?(senderType: String?) {
        switch senderType {
        case nil: return nil
        case "Contact": self = .contact
        case "User": self = .user
        case "AgentBot": self = .agentBot
        case "Captain::Assistant": self = .captainAssistant
        case let other?: self = .other(other)
        }
    }
}
