/// The link between a contact and an inbox (docs/chatwoot-protocol.md §4.5).
///
/// `sourceId` is the contact's channel-level id (widget visitor UUID, phone number, PSID…) and is
/// a good session key. The widget's `pubsub_token` is deliberately not decoded: it is a
/// confidential realtime token the bot never needs, and leaving it out keeps it out of anything
/// this value is written to.
public struct ContactInbox: Sendable, Hashable, Codable {
    public var id: Int?
    public var contactId: Int?
    public var inboxId: Int?
    public var sourceId: String?
    public var createdAt: String?
    public var updatedAt: String?
    public var hmacVerified: Bool?

    public init(
        id: Int? = nil,
        contactId: Int? = nil,
        inboxId: Int? = nil,
        sourceId: String?,
        createdAt: String? = nil,
        updatedAt: String? = nil,
        hmacVerified: Bool? = nil
    ) {
        self.id = id
        self.contactId = contactId
        self.inboxId = inboxId
        self.sourceId = sourceId
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.hmacVerified = hmacVerified
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.id = container.lenientInt(forKey: .id)
        self.contactId = container.lenientInt(forKey: .contactId)
        self.inboxId = container.lenientInt(forKey: .inboxId)
        self.sourceId = container.lenient(forKey: .sourceId)
        self.createdAt = container.lenient(forKey: .createdAt)
        self.updatedAt = container.lenient(forKey: .updatedAt)
        self.hmacVerified = container.lenient(forKey: .hmacVerified)
    }

    enum CodingKeys: String, CodingKey {
        case id
        case contactId = "contact_id"
        case inboxId = "inbox_id"
        case sourceId = "source_id"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
        case hmacVerified = "hmac_verified"
    }
}
