/// What an inbox's channel shows of the bot's rich messages (docs/chatwoot-protocol.md §6).
///
/// The website widget shows them all, and an API inbox hands them to its own client, which may.
/// WhatsApp, Telegram, Facebook and LINE turn an `input_select` into native buttons and send
/// only the text `content` of cards, articles, forms and email boxes; the other channels (SMS,
/// email, Instagram…) send only the text `content` of everything.
///
/// ```swift
/// let rendering = ChannelRendering(channel: "Channel::Sms")
/// rendering.adapt(.cards([card], content: "Latest:"))   // a text message listing the card
/// ```
public struct ChannelRendering: Sendable, Hashable {
    /// The inbox channel class (`conversation.channel`); nil when not known yet.
    public let channel: String?

    public init(channel: String?) { self.channel = channel }

    public static let webWidget = "Channel::WebWidget"
    public static let api = "Channel::Api"
    public static let whatsApp = "Channel::Whatsapp"
    public static let telegram = "Channel::Telegram"
    public static let sms = "Channel::Sms"
    /// The channels that show an `input_select`'s options as native buttons or a list.
    public static let buttonChannels: Set<String> = [whatsApp, telegram, "Channel::FacebookPage", "Channel::Line"]

    /// Whether forms, cards, articles and email boxes reach the customer. An unknown channel is
    /// taken for the widget, as before channels were told apart.
    public var showsRichContent: Bool {
        guard let channel else { return true }
        return channel == Self.webWidget || channel == Self.api
    }

    /// Whether an `input_select`'s options reach the customer.
    public var showsOptions: Bool {
        showsRichContent || channel.map(Self.buttonChannels.contains) == true
    }

    /// `message` as this channel can show it. Cards and articles become a text message that lists
    /// each item (title, description, links; a postback button, which only the widget's host page
    /// sees, is left out). An `input_select` on a channel without buttons keeps its items (the
    /// answer is read against them) and lists their titles in its text. Everything else is sent as
    /// it is: where a form or an email box does not render, its text still asks the question.
    public func adapt(_ message: OutgoingMessage) -> OutgoingMessage {
        guard !message.isPrivate, !showsRichContent else { return message }
        let items = message.contentAttributes?["items"]?.arrayValue ?? []
        switch message.contentType {
        case .cards:
            return Self.text(message, Self.listing(message.content, items.map { item in
                let links = (item["actions"]?.arrayValue ?? []).compactMap { action -> String? in
                    guard action["type"]?.stringValue == "link", let uri = action["uri"]?.scalarText else { return nil }
                    return uri
                }
                return [item["title"]?.scalarText, item["description"]?.scalarText].compactMap { $0 } + links
            }))
        case .article:
            return Self.text(message, Self.listing(message.content, items.map { item in
                [item["title"]?.scalarText, item["description"]?.scalarText, item["link"]?.scalarText].compactMap { $0 }
            }))
        case .inputSelect where !showsOptions:
            var listed = message
            listed.content = Self.listing(message.content, (message.selectItems ?? []).map { ["- " + $0.title] }, separator: "\n")
            return listed
        case .inputSelect where channel == Self.whatsApp:
            // WhatsApp refuses a reply button title over 20 characters (up to 3 options) and a list
            // row title over 24 (more options); the customer's tap sends the shortened title back.
            let limit = items.count <= 3 ? 20 : 24
            guard let select = message.selectItems, select.contains(where: { $0.title.count > limit }) else { return message }
            var shortened = message
            shortened.contentAttributes = ["items": .array(select.map { item in
                SelectItem(title: item.title.count > limit ? item.title.prefix(limit - 1) + "…" : item.title, value: item.value).jsonValue
            })]
            return shortened
        default:
            return message
        }
    }

    /// `message` as a plain text message reading `content` (its other fields kept).
    private static func text(_ message: OutgoingMessage, _ content: String) -> OutgoingMessage {
        var text = message
        text.content = content
        text.contentType = .text
        text.contentAttributes = nil
        return text
    }

    /// `content`, then one block of lines per item, blank lines between blocks (or `separator`).
    private static func listing(_ content: String?, _ items: [[String]], separator: String = "\n\n") -> String {
        let blocks = items.map { $0.filter { !$0.isEmpty }.joined(separator: "\n") }.filter { !$0.isEmpty }
        return ([content ?? "", blocks.joined(separator: separator)]).filter { !$0.isEmpty }.joined(separator: "\n\n")
    }
}
