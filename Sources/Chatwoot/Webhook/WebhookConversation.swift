/// A conversation as Chatwoot's `EventDataPresenter#webhook_data` renders it: the payload root of
/// the `conversation_*` events, and nested in message events and `webwidget_triggered`
/// (docs/chatwoot-protocol.md §4.3).
///
/// `id` is the **display id**, the per-account number used in every REST path. The payload has
/// no account id; ``accountId`` reads it from the last message when there is one.
public struct WebhookConversation: Sendable, Hashable {
    /// The display id (`/conversations/{id}` in the REST API).
    public var id: Int?
    public var inboxId: Int?
    /// The status when the event happened; by convention the bot acts only while `pending`.
    public var status: ConversationStatus?
    /// The inbox channel class, for example `Channel::WebWidget`.
    public var channel: String?
    public var canReply: Bool?
    public var additionalAttributes: JSONValue?
    public var customAttributes: JSONValue?
    public var labels: [String]?
    public var contactInbox: ContactInbox?
    public var meta: ConversationMeta?
    /// The last non-activity, non-private message (0 or 1 entries), in push shape.
    public var messages: [PushMessage]?
    public var unreadCount: Int?
    public var priority: Priority?
    public var snoozedUntil: String?
    public var firstReplyCreatedAt: String?
    /// Unix seconds; 0 when not waiting.
    public var waitingSince: Int?
    public var agentLastSeenAt: Int?
    public var contactLastSeenAt: Int?
    public var lastActivityAt: Int?
    public var timestamp: Int?
    /// Unix seconds.
    public var createdAt: Int?
    /// Unix seconds with a fraction (v4.8+).
    public var updatedAt: Double?
    /// `conversation_status_changed` / `conversation_updated` only (v4.13+); often `nil` for the
    /// former (docs/chatwoot-protocol.md §4.8).
    public var changedAttributes: ChangedAttributes?

    public init(
        id: Int?,
        inboxId: Int? = nil,
        status: ConversationStatus? = nil,
        channel: String? = nil,
        canReply: Bool? = nil,
        additionalAttributes: JSONValue? = nil,
        customAttributes: JSONValue? = nil,
        labels: [String]? = nil,
        contactInbox: ContactInbox? = nil,
        meta: ConversationMeta? = nil,
        messages: [PushMessage]? = nil,
        unreadCount: Int? = nil,
        priority: Priority? = nil,
        snoozedUntil: String? = nil,
        firstReplyCreatedAt: String? = nil,
        waitingSince: Int? = nil,
        agentLastSeenAt: Int? = nil,
        contactLastSeenAt: Int? = nil,
        lastActivityAt: Int? = nil,
        timestamp: Int? = nil,
        createdAt: Int? = nil,
        updatedAt: Double? = nil,
        changedAttributes: ChangedAttributes? = nil
    ) {
        self.id = id
        self.inboxId = inboxId
        self.status = status
        self.channel = channel
        self.canReply = canReply
        self.additionalAttributes = additionalAttributes
        self.customAttributes = customAttributes
        self.labels = labels
        self.contactInbox = contactInbox
        self.meta = meta
        self.messages = messages
        self.unreadCount = unreadCount
        self.priority = priority
        self.snoozedUntil = snoozedUntil
        self.firstReplyCreatedAt = firstReplyCreatedAt
        self.waitingSince = waitingSince
        self.agentLastSeenAt = agentLastSeenAt
        self.contactLastSeenAt = contactLastSeenAt
        self.lastActivityAt = lastActivityAt
        self.timestamp = timestamp
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.changedAttributes = changedAttributes
    }

    /// The account id, taken from the last message (`messages[0].account_id`); `nil` when the
    /// conversation has no message yet. Message events carry it directly in `account.id`.
    public var accountId: Int? {
        messages?.first?.accountId
    }

    /// The contact, from `meta.sender`.
    public var contact: Sender? {
        meta?.sender
    }
}

// MARK: - Codable

extension WebhookConversation: Codable {
    enum CodingKeys: String, CodingKey {
        case id, status, channel, labels, meta, messages, priority, timestamp
        case inboxId = "inbox_id"
        case canReply = "can_reply"
        case additionalAttributes = "additional_attributes"
        case customAttributes = "custom_attributes"
        case contactInbox = "contact_inbox"
        case unreadCount = "unread_count"
        case snoozedUntil = "snoozed_until"
        case firstReplyCreatedAt = "first_reply_created_at"
        case waitingSince = "waiting_since"
        case agentLastSeenAt = "agent_last_seen_at"
        case contactLastSeenAt = "contact_last_seen_at"
        case lastActivityAt = "last_activity_at"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
        case changedAttributes = "changed_attributes"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.id = container.lenientInt(forKey: .id)
        self.inboxId = container.lenientInt(forKey: .inboxId)
        self.status = container.lenient(forKey: .status)
        self.channel = container.lenient(forKey: .channel)
        self.canReply = container.lenient(forKey: .canReply)
        self.additionalAttributes = container.lenient(forKey: .additionalAttributes)
        self.customAttributes = container.lenient(forKey: .customAttributes)
        self.labels = container.lenientArray(forKey: .labels)
        self.contactInbox = container.lenient(forKey: .contactInbox)
        self.meta = container.lenient(forKey: .meta)
        self.messages = container.lenientArray(forKey: .messages)
        self.unreadCount = container.lenientInt(forKey: .unreadCount)
        self.priority = container.lenient(forKey: .priority)
        self.snoozedUntil = container.lenient(forKey: .snoozedUntil)
        self.firstReplyCreatedAt = container.lenient(forKey: .firstReplyCreatedAt)
        self.waitingSince = container.lenientInt(forKey: .waitingSince)
        self.agentLastSeenAt = container.lenientInt(forKey: .agentLastSeenAt)
        self.contactLastSeenAt = container.lenientInt(forKey: .contactLastSeenAt)
        self.lastActivityAt = container.lenientInt(forKey: .lastActivityAt)
        self.timestamp = container.lenientInt(forKey: .timestamp)
        self.createdAt = container.lenientInt(forKey: .createdAt)
        self.updatedAt = container.lenientDouble(forKey: .updatedAt)
        self.changedAttributes = container.lenient(forKey: .changedAttributes)
    }
}
