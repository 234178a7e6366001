import JSONScan

/// The body of `POST …/conversations/{id}/messages` (docs/chatwoot-protocol.md §7.2).
///
/// Build one with the typed helpers, then set ``echoId`` / ``sourceId`` if needed:
///
/// ```swift
/// var message = OutgoingMessage.inputSelect("What do you need?", items: [
///     SelectItem(title: "Track my order", value: "track_order"),
///     SelectItem(title: "Talk to a human", value: "handoff"),
/// ])
/// message.echoId = "effect-42"
/// ```
///
/// Encodes to Chatwoot's JSON (`private`, `content_type`, `content_attributes`, `echo_id`, …);
/// absent optionals are left out. Decoding is lenient, for tools that read recorded requests.
public struct OutgoingMessage: Sendable, Hashable {
    /// Up to 150,000 characters; may be empty for interactive types.
    public var content: String?
    /// `.outgoing` by default. `.incoming` is accepted only in API-channel inboxes.
    public var messageType: MessageType
    /// `true` creates an internal note that the customer never sees.
    public var isPrivate: Bool
    public var contentType: ContentType
    /// The shape depends on ``contentType`` (§6); Chatwoot rejects unknown item keys with 422.
    public var contentAttributes: JSONValue?
    /// Returned unchanged in the create response; use it to match echoes to requests.
    public var echoId: String?
    /// An external id for the message.
    public var sourceId: String?
    /// WhatsApp template parameters `{name, category, language, processed_params}`.
    public var templateParams: JSONValue?
    public var campaignId: Int?

    public init(
        content: String?,
        messageType: MessageType = .outgoing,
        isPrivate: Bool = false,
        contentType: ContentType = .text,
        contentAttributes: JSONValue? = nil,
        echoId: String? = nil,
        sourceId: String? = nil,
        templateParams: JSONValue? = nil,
        campaignId: Int? = nil
    ) {
        self.content = content
        self.messageType = messageType
        self.isPrivate = isPrivate
        self.contentType = contentType
        self.contentAttributes = contentAttributes
        self.echoId = echoId
        self.sourceId = sourceId
        self.templateParams = templateParams
        self.campaignId = campaignId
    }
}

// MARK: - Typed helpers

extension OutgoingMessage {
    /// A plain (markdown) text reply.
    public static func text(_ content: String) -> Self {
        Self(content: content)
    }

    /// An internal note for agents; never shown to the customer.
    public static func privateNote(_ content: String) -> Self {
        Self(content: content, isPrivate: true)
    }

    /// A question with one button per item. Needs at least one item. Widget answers arrive as
    /// `message_updated` with `submitted_values`; other channels send a new incoming message.
    public static func inputSelect(_ question: String, items: [SelectItem]) -> Self {
        Self(content: question, contentType: .inputSelect, contentAttributes: ["items": .array(items.map(\.jsonValue))])
    }

    /// The items of an ``inputSelect(_:items:)`` message (nil for any other content type); an item
    /// without a title or value is left out.
    public var selectItems: [SelectItem]? {
        guard contentType == .inputSelect else { return nil }
        return (contentAttributes?["items"]?.arrayValue ?? []).compactMap { item in
            guard let title = item["title"]?.scalarText, let value = item["value"]?.scalarText else { return nil }
            return SelectItem(title: title, value: value)
        }
    }

    /// Cards with link or postback buttons (widget only; postbacks never reach the bot).
    public static func cards(_ items: [Card], content: String? = nil) -> Self {
        Self(content: content, contentType: .cards, contentAttributes: ["items": .array(items.map(\.jsonValue))])
    }

    /// A form (widget only). The answer arrives as `message_updated` with one `{name, value}`
    /// entry per field.
    public static func form(_ content: String, items: [FormItem]) -> Self {
        Self(content: content, contentType: .form, contentAttributes: ["items": .array(items.map(\.jsonValue))])
    }

    /// A list of article links (widget only).
    public static func articles(_ items: [ArticleItem], content: String? = nil) -> Self {
        Self(content: content, contentType: .article, contentAttributes: ["items": .array(items.map(\.jsonValue))])
    }

    /// An email input box with `prompt` as its text (widget only). The answer arrives as
    /// `message_updated` with `submitted_email`, and Chatwoot also updates the contact's email.
    public static func inputEmail(_ prompt: String) -> Self {
        Self(content: prompt, contentType: .inputEmail)
    }

    /// A satisfaction survey. Chatwoot normally sends this itself on resolve; the answer arrives
    /// as `message_updated` with `submitted_values.csat_survey_response`.
    public static func inputCSAT(_ content: String, displayType: String = "emoji") -> Self {
        Self(content: content, contentType: .inputCSAT, contentAttributes: ["display_type": .string(displayType)])
    }
}

// MARK: - Codable

extension OutgoingMessage: Codable {
    enum CodingKeys: String, CodingKey {
        case content
        case messageType = "message_type"
        case isPrivate = "private"
        case contentType = "content_type"
        case contentAttributes = "content_attributes"
        case echoId = "echo_id"
        case sourceId = "source_id"
        case templateParams = "template_params"
        case campaignId = "campaign_id"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.content = container.lenient(forKey: .content)
        self.messageType = container.lenient(forKey: .messageType) ?? .outgoing
        self.isPrivate = container.lenient(forKey: .isPrivate) ?? false
        self.contentType = container.lenient(forKey: .contentType) ?? .text
        // Chatwoot also accepts content_attributes as a JSON-encoded string (docs/chatwoot-protocol.md §7.2);
        // it is kept as the string here.
        self.contentAttributes = container.lenient(forKey: .contentAttributes)
        self.echoId = container.lenient(forKey: .echoId)
        self.sourceId = container.lenient(forKey: .sourceId)
        self.templateParams = container.lenient(forKey: .templateParams)
        self.campaignId = container.lenientInt(forKey: .campaignId)
    }
}

// MARK: - Canonical bytes

extension OutgoingMessage: JSONWritable {
    /// What ``JSONScan/CanonicalJSONEncoder`` writes through `encode(to:)` (keys in byte order).
    public func writeJSON(to out: inout [UInt8]) throws {
        var object = JSONObjectWriter(&out)
        object.integer("campaign_id", campaignId, &out)
        object.string("content", content, &out)
        try object.value("content_attributes", contentAttributes, &out)
        object.string("content_type", contentType.rawValue, &out)
        object.string("echo_id", echoId, &out)
        object.string("message_type", messageType.rawValue, &out)
        object.bool("private", isPrivate, &out)
        object.string("source_id", sourceId, &out)
        try object.value("template_params", templateParams, &out)
        object.close(&out)
    }
}
