/// A contact (the customer), in its webhook shape or its push shape (docs/chatwoot-protocol.md §4.2, §4.4).
///
/// The webhook shape has no `type` key and carries `account` and `avatar`; the push shape has
/// `type: "contact"`. Both decode here.
public struct Contact: Sendable, Hashable, Codable {
    public var id: Int?
    public var name: String?
    public var email: String?
    public var phoneNumber: String?
    /// The identifier the website passed to the widget SDK, if any.
    public var identifier: String?
    public var thumbnail: String?
    public var avatar: String?
    public var blocked: Bool?
    public var additionalAttributes: JSONValue?
    public var customAttributes: JSONValue?
    public var account: AccountRef?

    public init(
        id: Int?,
        name: String? = nil,
        email: String? = nil,
        phoneNumber: String? = nil,
        identifier: String? = nil,
        thumbnail: String? = nil,
        avatar: String? = nil,
        blocked: Bool? = nil,
        additionalAttributes: JSONValue? = nil,
        customAttributes: JSONValue? = nil,
        account: AccountRef? = nil
    ) {
        self.id = id
        self.name = name
        self.email = email
        self.phoneNumber = phoneNumber
        self.identifier = identifier
        self.thumbnail = thumbnail
        self.avatar = avatar
        self.blocked = blocked
        self.additionalAttributes = additionalAttributes
        self.customAttributes = customAttributes
        self.account = account
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.id = container.lenientInt(forKey: .id)
        self.name = container.lenient(forKey: .name)
        self.email = container.lenient(forKey: .email)
        self.phoneNumber = container.lenient(forKey: .phoneNumber)
        self.identifier = container.lenient(forKey: .identifier)
        self.thumbnail = container.lenient(forKey: .thumbnail)
        self.avatar = container.lenient(forKey: .avatar)
        self.blocked = container.lenient(forKey: .blocked)
        self.additionalAttributes = container.lenient(forKey: .additionalAttributes)
        self.customAttributes = container.lenient(forKey: .customAttributes)
        self.account = container.lenient(forKey: .account)
    }

    enum CodingKeys: String, CodingKey {
        case id, name, email, identifier, thumbnail, avatar, blocked, account
        case phoneNumber = "phone_number"
        case additionalAttributes = "additional_attributes"
        case customAttributes = "custom_attributes"
    }
}
