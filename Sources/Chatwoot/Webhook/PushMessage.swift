/// A message in Chatwoot's *push* shape: the entries of `conversation.messages[]` in webhooks
/// (docs/chatwoot-protocol.md §4.4) and the response of `POST …/messages` (§7.2).
///
/// Unlike ``WebhookMessage``, `message_type` arrives here as an integer and `created_at` as
/// Unix seconds; both forms decode.
public struct PushMessage: Sendable, Hashable {
    public var id: Int?
    public var content: String?
    public var accountId: Int?
    public var inboxId: Int?
    /// The conversation's display id.
    public var conversationId: Int?
    public var messageType: MessageType?
    public var contentType: ContentType?
    public var contentAttributes: JSONValue?
    public var additionalAttributes: JSONValue?
    public var isPrivate: Bool
    public var status: MessageStatus?
    public var sourceId: String?
    /// Unix seconds.
    public var createdAt: Int?
    public var updatedAt: String?
    /// `"Contact"`, `"User"`, `"AgentBot"`, `"Captain::Assistant"` or `nil`.
    public var senderType: String?
    public var senderId: Int?
    public var sender: Sender?
    /// REST create response only: the `echo_id` sent with the request.
    public var echoId: String?
    public var attachments: [Attachment]?

    public init(
        id: Int?,
        content: String? = nil,
        accountId: Int? = nil,
        inboxId: Int? = nil,
        conversationId: Int? = nil,
        messageType: MessageType? = nil,
        contentType: ContentType? = nil,
        contentAttributes: JSONValue? = nil,
        additionalAttributes: JSONValue? = nil,
        isPrivate: Bool = false,
        status: MessageStatus? = nil,
        sourceId: String? = nil,
        createdAt: Int? = nil,
        updatedAt: String? = nil,
        senderType: String? = nil,
        senderId: Int? = nil,
        sender: Sender? = nil,
        echoId: String? = nil,
        attachments: [Attachment]? = nil
    ) {
        self.id = id
        self.content = content
        self.accountId = accountId
        self.inboxId = inboxId
        self.conversationId = conversationId
        self.messageType = messageType
        self.contentType = contentType
        self.contentAttributes = contentAttributes
        self.additionalAttributes = additionalAttributes
        self.isPrivate = isPrivate
        self.status = status
        self.sourceId = sourceId
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.senderType = senderType
        self.senderId = senderId
        self.sender = sender
        self.echoId = echoId
        self.attachments = attachments
    }

    /// The sender's kind, from `sender.type` or else from `sender_type`; `nil` for system messages.
    public var senderKind: SenderKind? {
        sender?.kind ?? SenderKind(senderType: senderType)
    }
}

// MARK: - Codable

extension PushMessage: Codable {
    enum CodingKeys: String, CodingKey {
        case id, content, status, sender, attachments
        case accountId = "account_id"
        case inboxId = "inbox_id"
        case conversationId = "conversation_id"
        case messageType = "message_type"
        case contentType = "content_type"
        case contentAttributes = "content_attributes"
        case additionalAttributes = "additional_attributes"
        case isPrivate = "private"
        case sourceId = "source_id"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
        case senderType = "sender_type"
        case senderId = "sender_id"
        case echoId = "echo_id"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.id = container.lenientInt(forKey: .id)
        self.content = container.lenient(forKey: .content)
        self.accountId = container.lenientInt(forKey: .accountId)
        self.inboxId = container.lenientInt(forKey: .inboxId)
        self.conversationId = container.lenientInt(forKey: .conversationId)
        self.messageType = container.lenient(forKey: .messageType)
        self.contentType = container.lenient(forKey: .contentType)
        self.contentAttributes = container.lenient(forKey: .contentAttributes)
        self.additionalAttributes = container.lenient(forKey: .additionalAttributes)
        self.isPrivate = container.lenient(forKey: .isPrivate) ?? false
        self.status = container.lenient(forKey: .status)
        self.sourceId = container.lenient(forKey: .sourceId)
        self.createdAt = container.lenientInt(forKey: .createdAt)
        self.updatedAt = container.lenient(forKey: .updatedAt)
        self.senderType = container.lenient(forKey: .senderType)
        self.senderId = container.lenientInt(forKey: .senderId)
        self.sender = container.lenient(forKey: .sender)
        self.echoId = container.lenient(forKey: .echoId)
        self.attachments = container.lenientArray(forKey: .attachments)
    }
}
