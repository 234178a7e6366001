/// One webhook delivery to the Agent Bot's `outgoing_url`, decoded from its `event` field
/// (docs/chatwoot-protocol.md §2).
///
/// Decode raw bodies with ``decode(from:maximumNestingDepth:)``: it never fails on an unknown
/// `event` name (that becomes ``unknown(_:)``) and tolerates missing, extra, `null` and mistyped
/// fields. Verify the signature on the raw bytes *before* decoding (``WebhookSignature``).
///
/// ```swift
/// switch try WebhookEvent.decode(from: body) {
/// case .messageCreated(let message) where message.isIncoming && !message.isPrivate:
///     …
/// default:
///     break  // still answer 2xx: Chatwoot hands the conversation to humans on errors
/// }
/// ```
public enum WebhookEvent: Sendable, Hashable {
    case messageCreated(WebhookMessage)
    case messageUpdated(WebhookMessage)
    case conversationOpened(WebhookConversation)
    case conversationResolved(WebhookConversation)
    /// v4.13+.
    case conversationStatusChanged(WebhookConversation)
    /// v4.13+; frequent, since `waiting_since` changes with every message.
    case conversationUpdated(WebhookConversation)
    case webwidgetTriggered(WebwidgetTrigger)
    /// An `event` name this module does not know; the payload is not decoded.
    case unknown(String)

    /// The wire names of the known events.
    public enum Name {
        public static let messageCreated = "message_created"
        public static let messageUpdated = "message_updated"
        public static let conversationOpened = "conversation_opened"
        public static let conversationResolved = "conversation_resolved"
        public static let conversationStatusChanged = "conversation_status_changed"
        public static let conversationUpdated = "conversation_updated"
        public static let webwidgetTriggered = "webwidget_triggered"
    }

    /// The `event` value as sent by Chatwoot.
    public var name: String {
        switch self {
        case .messageCreated: Name.messageCreated
        case .messageUpdated: Name.messageUpdated
        case .conversationOpened: Name.conversationOpened
        case .conversationResolved: Name.conversationResolved
        case .conversationStatusChanged: Name.conversationStatusChanged
        case .conversationUpdated: Name.conversationUpdated
        case .webwidgetTriggered: Name.webwidgetTriggered
        case .unknown(let name): name
        }
    }
}

// MARK: - Codable

extension WebhookEvent: Codable {
    private enum EventKey: String, CodingKey {
        case event
    }

    /// Decodes the payload selected by `event`.
    ///
    /// - Throws: `DecodingError` if the value is not an object; ``WebhookDecodingError`` with code
    ///   ``WebhookDecodingError/Code/missingEventName`` if `event` is absent or not a string.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: EventKey.self)
        guard let name = container.lenient(String.self, forKey: .event) else {
            throw WebhookDecodingError(.missingEventName, "The payload has no string `event` field")
        }
        switch name {
        case Name.messageCreated: self = .messageCreated(try WebhookMessage(from: decoder))
        case Name.messageUpdated: self = .messageUpdated(try WebhookMessage(from: decoder))
        case Name.conversationOpened: self = .conversationOpened(try WebhookConversation(from: decoder))
        case Name.conversationResolved: self = .conversationResolved(try WebhookConversation(from: decoder))
        case Name.conversationStatusChanged:
            self = .conversationStatusChanged(try WebhookConversation(from: decoder))
        case Name.conversationUpdated: self = .conversationUpdated(try WebhookConversation(from: decoder))
        case Name.webwidgetTriggered: self = .webwidgetTriggered(try WebwidgetTrigger(from: decoder))
        default: self = .unknown(name)
        }
    }

    /// Encodes the payload's fields and the `event` field into one object.
    public func encode(to encoder: any Encoder) throws {
        switch self {
        case .messageCreated(let message), .messageUpdated(let message):
            try message.encode(to: encoder)
        case .conversationOpened(let conversation), .conversationResolved(let conversation),
            .conversationStatusChanged(let conversation), .conversationUpdated(let conversation):
            try conversation.encode(to: encoder)
        case .webwidgetTriggered(let trigger):
            try trigger.encode(to: encoder)
        case .unknown:
            break
        }
        var container = encoder.container(keyedBy: EventKey.self)
        try container.encode(name, forKey: .event)
    }
}
