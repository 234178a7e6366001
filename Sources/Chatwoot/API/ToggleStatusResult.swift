/// The `payload` of the `toggle_status` response (docs/chatwoot-protocol.md §7.3).
public struct ToggleStatusResult: Sendable, Hashable, Codable {
    /// `nil` on the bot hand-off path (bot token, `pending` → `open`): Chatwoot does not set it
    /// there. Do not treat `nil` as failure; the HTTP status already says the call succeeded.
    public var success: Bool?
    /// The display id.
    public var conversationId: Int?
    public var currentStatus: ConversationStatus?
    /// ISO-8601, or `nil`.
    public var snoozedUntil: String?

    public init(
        success: Bool?,
        conversationId: Int?,
        currentStatus: ConversationStatus?,
        snoozedUntil: String? = nil
    ) {
        self.success = success
        self.conversationId = conversationId
        self.currentStatus = currentStatus
        self.snoozedUntil = snoozedUntil
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.success = container.lenient(forKey: .success)
        self.conversationId = container.lenientInt(forKey: .conversationId)
        self.currentStatus = container.lenient(forKey: .currentStatus)
        self.snoozedUntil = container.lenient(forKey: .snoozedUntil)
    }

    enum CodingKeys: String, CodingKey {
        case success
        case conversationId = "conversation_id"
        case currentStatus = "current_status"
        case snoozedUntil = "snoozed_until"
    }
}
