import Chatwoot
import Testing

/// Only the website widget (and an API inbox's own client) shows rich messages; WhatsApp,
/// Telegram, Facebook and LINE show an `input_select` as buttons; everything else reaches the
/// customer as its text alone (docs/chatwoot-protocol.md §6).
@Suite struct ChannelRenderingTests {
    private let card = Card(title: "Underdogs clinch the title", description: "A stoppage-time winner.",
                            actions: [.link(text: "Read", uri: "https://news.example/title"), .postback(text: "More", payload: "more")])
    private let options = [SelectItem(title: "Technology", value: "technology"), SelectItem(title: "Sports", value: "sports")]

    @Test(arguments: [nil, "Channel::WebWidget", "Channel::Api"])
    func theWidgetAndAPIInboxesGetEveryMessageAsItIs(channel: String?) {
        let rendering = ChannelRendering(channel: channel)
        for message in [OutgoingMessage.cards([card], content: "Latest:"), .inputSelect("Pick:", items: options),
                        .form("Dates?", items: []), .articles([ArticleItem(title: "Returns", link: "https://help.example/returns")])] {
            #expect(rendering.adapt(message) == message)
        }
        #expect(rendering.showsRichContent && rendering.showsOptions)
    }

    @Test(arguments: ["Channel::Whatsapp", "Channel::Sms"])
    func cardsAndArticlesBecomeATextListingElsewhere(channel: String) {
        let rendering = ChannelRendering(channel: channel)
        let cards = rendering.adapt(.cards([card, Card(title: "Record falls", actions: [.link(text: "Read", uri: "https://news.example/record")])], content: "Latest in sports:"))
        #expect(cards == .text("Latest in sports:\n\nUnderdogs clinch the title\nA stoppage-time winner.\nhttps://news.example/title\n\nRecord falls\nhttps://news.example/record"))
        let articles = rendering.adapt(.articles([ArticleItem(title: "Returns", description: "30 days", link: "https://help.example/returns")]))
        #expect(articles == .text("Returns\n30 days\nhttps://help.example/returns"))
        // A private note is for agents, who read it in Chatwoot itself.
        let note = OutgoingMessage(content: "context", isPrivate: true, contentType: .cards)
        #expect(rendering.adapt(note) == note)
    }

    @Test func optionsStayButtonsWhereTheChannelHasThemAndAreListedInTheTextElsewhere() {
        let question = OutgoingMessage.inputSelect("Pick a topic:", items: options)
        #expect(ChannelRendering(channel: "Channel::Telegram").adapt(question) == question)
        let listed = ChannelRendering(channel: "Channel::Sms").adapt(question)
        #expect(listed.content == "Pick a topic:\n\n- Technology\n- Sports")
        // The items stay, so that the answer, which comes back as text, is read against them.
        #expect(listed.contentType == .inputSelect && listed.selectItems == options)
        #expect(!ChannelRendering(channel: "Channel::Email").showsOptions && !ChannelRendering(channel: "Channel::Whatsapp").showsRichContent)
    }

    @Test func onWhatsAppOptionTitlesAreShortenedToWhatWhatsAppAccepts() {
        let rendering = ChannelRendering(channel: "Channel::Whatsapp")
        let long = "Deluxe — 180 EUR/night, sea view"
        let buttons = rendering.adapt(.inputSelect("Rooms:", items: [SelectItem(title: long, value: "deluxe"), SelectItem(title: "Standard", value: "standard")]))
        #expect(buttons.selectItems == [SelectItem(title: "Deluxe — 180 EUR/ni…", value: "deluxe"), SelectItem(title: "Standard", value: "standard")])
        #expect(buttons.content == "Rooms:")
        let list = rendering.adapt(.inputSelect("Rooms:", items: (1...4).map { SelectItem(title: "\(long) \($0)", value: "r\($0)") }))
        #expect(list.selectItems?.allSatisfy { $0.title.count == 24 && $0.title.hasSuffix("…") } == true)
        let short = OutgoingMessage.inputSelect("Pick:", items: options)
        #expect(rendering.adapt(short) == short)
    }
}
