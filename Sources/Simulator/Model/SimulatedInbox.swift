import Chatwoot

/// An inbox, optionally connected to the simulated agent bot (an `AgentBotInbox`).
public struct SimulatedInbox: Sendable, Hashable {
    /// `conversation.channel` for a website widget.
    public static let webWidgetChannel = ChannelRendering.webWidget
    /// `conversation.channel` for an API inbox, the only kind that accepts bot-created incoming messages.
    public static let apiChannel = ChannelRendering.api
    /// `conversation.channel` for WhatsApp (a chosen option comes back as its title).
    public static let whatsAppChannel = ChannelRendering.whatsApp
    /// `conversation.channel` for SMS (only the text of a message reaches the customer).
    public static let smsChannel = ChannelRendering.sms
    /// `conversation.channel` for Telegram (a chosen option comes back as its value).
    public static let telegramChannel = ChannelRendering.telegram

    public var id: Int
    public var accountId: Int
    public var name: String
    /// The channel class, for example ``webWidgetChannel``.
    public var channel: String
    /// `true` when the bot is connected to this inbox **and** the connection is active. New
    /// conversations then start `pending`, and the bot receives every event of the inbox (§2.1, §8).
    public var botActive: Bool
    /// When `true`, resolving a conversation posts an `input_csat` template message.
    public var csatSurveyEnabled: Bool

    public init(
        id: Int,
        accountId: Int,
        name: String,
        channel: String = SimulatedInbox.webWidgetChannel,
        botActive: Bool = true,
        csatSurveyEnabled: Bool = false
    ) {
        self.id = id
        self.accountId = accountId
        self.name = name
        self.channel = channel
        self.botActive = botActive
        self.csatSurveyEnabled = csatSurveyEnabled
    }

    /// `true` for API-channel inboxes.
    public var isAPIChannel: Bool { channel == Self.apiChannel }
}
