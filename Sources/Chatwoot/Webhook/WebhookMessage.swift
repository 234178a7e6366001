/// The payload of `message_created` and `message_updated`, from `Message#webhook_data`
/// (docs/chatwoot-protocol.md §4.1).
///
/// `message_type` is a string here (`"incoming"`), unlike nested push shapes. There is no
/// delivery `status` at this level. The bot sees its own messages, human replies, templates
/// and private notes too (§2.2); use ``isIncoming``, ``isPrivate`` and ``senderKind`` to filter.
public struct WebhookMessage: Sendable, Hashable {
    /// The message id (global, not per conversation).
    public var id: Int?
    public var content: String?
    public var messageType: MessageType?
    public var contentType: ContentType?
    public var contentAttributes: JSONValue?
    public var additionalAttributes: JSONValue?
    /// `true` for a private note, never shown to the customer. A missing `private` key is `false`.
    public var isPrivate: Bool
    public var sourceId: String?
    /// ISO-8601 with milliseconds.
    public var createdAt: String?
    /// `nil` for system messages: templates, greetings, email collect, CSAT.
    public var sender: Sender?
    public var inbox: InboxRef?
    public var account: AccountRef?
    public var conversation: WebhookConversation?
    /// Present only when the message has attachments.
    public var attachments: [Attachment]?

    public init(
        id: Int?,
        content: String? = nil,
        messageType: MessageType? = nil,
        contentType: ContentType? = nil,
        contentAttributes: JSONValue? = nil,
        additionalAttributes: JSONValue? = nil,
        isPrivate: Bool = false,
        sourceId: String? = nil,
        createdAt: String? = nil,
        sender: Sender? = nil,
        inbox: InboxRef? = nil,
        account: AccountRef? = nil,
        conversation: WebhookConversation? = nil,
        attachments: [Attachment]? = nil
    ) {
        self.id = id
        self.content = content
        self.messageType = messageType
        self.contentType = contentType
        self.contentAttributes = contentAttributes
        self.additionalAttributes = additionalAttributes
        self.isPrivate = isPrivate
        self.sourceId = sourceId
        self.createdAt = createdAt
        self.sender = sender
        self.inbox = inbox
        self.account = account
        self.conversation = conversation
        self.attachments = attachments
    }
}

// MARK: - Classification

extension WebhookMessage {
    /// Written by the customer (`message_type == "incoming"`).
    public var isIncoming: Bool { messageType == .incoming }

    /// Written by an agent, a bot (including this one) or an integration.
    public var isOutgoing: Bool { messageType == .outgoing }

    /// A system template: greeting, out-of-office, email collect, CSAT.
    public var isTemplate: Bool { messageType == .template }

    /// The author's kind; `nil` when `sender` is `null` (system messages).
    public var senderKind: SenderKind? { sender?.kind }
}

// MARK: - Codable

extension WebhookMessage: Codable {
    enum CodingKeys: String, CodingKey {
        case id, content, sender, inbox, account, conversation, attachments
        case messageType = "message_type"
        case contentType = "content_type"
        case contentAttributes = "content_attributes"
        case additionalAttributes = "additional_attributes"
        case isPrivate = "private"
        case sourceId = "source_id"
        case createdAt = "created_at"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.id = container.lenientInt(forKey: .id)
        self.content = container.lenient(forKey: .content)
        self.messageType = container.lenient(forKey: .messageType)
        self.contentType = container.lenient(forKey: .contentType)
        self.contentAttributes = container.lenient(forKey: .contentAttributes)
        self.additionalAttributes = container.lenient(forKey: .additionalAttributes)
        self.isPrivate = container.lenient(forKey: .isPrivate) ?? false
        self.sourceId = container.lenient(forKey: .sourceId)
        self.createdAt = container.lenient(forKey: .createdAt)
        self.sender = container.lenient(forKey: .sender)
        self.inbox = container.lenient(forKey: .inbox)
        self.account = container.lenient(forKey: .account)
        self.conversation = container.lenient(forKey: .conversation)
        self.attachments = container.lenientArray(forKey: .attachments)
    }
}
