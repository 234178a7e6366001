/// The author of a message, or an assignee (docs/chatwoot-protocol.md §4.2, §4.4).
///
/// Chatwoot uses one JSON slot for several record types; ``kind`` tells them apart. A sender
/// without a `type` key is a contact (the webhook shape of a contact has none), and for contacts
/// the full record is in ``contact``. A `null` sender (templates, CSAT, greetings) is represented
/// by the absence of a `Sender` (`nil`) in the enclosing value.
public struct Sender: Sendable, Hashable {
    public var kind: SenderKind
    public var id: Int?
    public var name: String?
    public var email: String?
    public var avatarURL: String?
    public var thumbnail: String?
    /// Users only: the display name agents chose.
    public var availableName: String?
    /// Users only: `online`, `busy` or `offline`.
    public var availabilityStatus: String?
    /// The full contact record when ``kind`` is ``SenderKind/contact``.
    public var contact: Contact?

    public init(
        kind: SenderKind,
        id: Int?,
        name: String? = nil,
        email: String? = nil,
        avatarURL: String? = nil,
        thumbnail: String? = nil,
        availableName: String? = nil,
        availabilityStatus: String? = nil,
        contact: Contact? = nil
    ) {
        self.kind = kind
        self.id = id
        self.name = name
        self.email = email
        self.avatarURL = avatarURL
        self.thumbnail = thumbnail
        self.availableName = availableName
        self.availabilityStatus = availabilityStatus
        self.contact = contact
    }

    /// A contact sender built from its record.
    public init(contact: Contact) {
        self.init(
            kind: .contact,
            id: contact.id,
            name: contact.name,
            email: contact.email,
            thumbnail: contact.thumbnail,
            contact: contact
        )
    }
}

// MARK: - Codable

extension Sender: Codable {
    enum CodingKeys: String, CodingKey {
        case type, id, name, email, thumbnail
        case avatarURL = "avatar_url"
        case availableName = "available_name"
        case availabilityStatus = "availability_status"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.kind = SenderKind(typeField: container.lenient(forKey: .type))
        self.id = container.lenientInt(forKey: .id)
        self.name = container.lenient(forKey: .name)
        self.email = container.lenient(forKey: .email)
        self.avatarURL = container.lenient(forKey: .avatarURL)
        self.thumbnail = container.lenient(forKey: .thumbnail)
        self.availableName = container.lenient(forKey: .availableName)
        self.availabilityStatus = container.lenient(forKey: .availabilityStatus)
        self.contact = kind == .contact ? try Contact(from: decoder) : nil
    }

    /// Encodes the Chatwoot shape: a contact's full record plus `type`, or the common fields.
    public func encode(to encoder: any Encoder) throws {
        if let contact {
            try contact.encode(to: encoder)
        }
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(kind, forKey: .type)
        try container.encodeIfPresent(avatarURL, forKey: .avatarURL)
        try container.encodeIfPresent(availableName, forKey: .availableName)
        try container.encodeIfPresent(availabilityStatus, forKey: .availabilityStatus)
        if contact == nil {
            try container.encodeIfPresent(id, forKey: .id)
            try container.encodeIfPresent(name, forKey: .name)
            try container.encodeIfPresent(email, forKey: .email)
            try container.encodeIfPresent(thumbnail, forKey: .thumbnail)
        }
    }
}
