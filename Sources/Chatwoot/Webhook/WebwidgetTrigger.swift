/// The payload of `webwidget_triggered`: a website visitor opened the chat bubble
/// (docs/chatwoot-protocol.md §4.6).
///
/// `currentConversation` is the contact inbox's latest conversation (possibly resolved), or
/// `nil` for a first-time visitor; without a conversation the bot cannot post.
public struct WebwidgetTrigger: Sendable, Hashable {
    /// The contact inbox id.
    public var id: Int?
    /// The visitor's channel-level id (widget UUID).
    public var sourceId: String?
    public var contact: Contact?
    public var inbox: InboxRef?
    public var account: AccountRef?
    public var currentConversation: WebhookConversation?
    /// `{initiated_at, referer, widget_language, browser_language, browser}` as sent by the widget.
    public var eventInfo: JSONValue?

    public init(
        id: Int?,
        sourceId: String? = nil,
        contact: Contact? = nil,
        inbox: InboxRef? = nil,
        account: AccountRef? = nil,
        currentConversation: WebhookConversation? = nil,
        eventInfo: JSONValue? = nil
    ) {
        self.id = id
        self.sourceId = sourceId
        self.contact = contact
        self.inbox = inbox
        self.account = account
        self.currentConversation = currentConversation
        self.eventInfo = eventInfo
    }
}

// MARK: - Codable

extension WebwidgetTrigger: Codable {
    enum CodingKeys: String, CodingKey {
        case id, contact, inbox, account
        case sourceId = "source_id"
        case currentConversation = "current_conversation"
        case eventInfo = "event_info"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.id = container.lenientInt(forKey: .id)
        self.sourceId = container.lenient(forKey: .sourceId)
        self.contact = container.lenient(forKey: .contact)
        self.inbox = container.lenient(forKey: .inbox)
        self.account = container.lenient(forKey: .account)
        self.currentConversation = container.lenient(forKey: .currentConversation)
        self.eventInfo = container.lenient(forKey: .eventInfo)
    }
}
