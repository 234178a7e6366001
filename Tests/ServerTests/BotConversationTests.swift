import Chatwoot
import Domain
import Foundation
import Ledger
import LedgerbotTesting
import Simulator
import Testing

/// The bot end to end over real HTTP on loopback: the Chatwoot simulator plays Chatwoot, the
/// sample backends play the company's systems, and `Tests/Fixtures/policies/shop-bot.yml` is the
/// bot. Every expectation is checked on what the simulated Chatwoot received (and the ledger).
@Suite(.serialized) struct BotConversationTests {
    private let maria = VisitorProfile(name: "Maria Silva", email: "maria@example.com")

    @Test func greetsAndAnswersAnIntent() async throws {
        try await BotStack.run { bot in
            let conversation = try await bot.chatwoot.startConversation(maria)
            try await bot.customer("hello", in: conversation)
            #expect(try await bot.publicBotTexts(in: conversation) == ["Hi Maria, how can I help?"])
            let decision = try #require(try bot.decisions().last?.decision)
            #expect(decision.explanation["intent"]?["name"]?.stringValue == "greet")
            #expect(decision.explanation["nlu"]?["ranking"]?[0]?["intent"]?.stringValue == "greet")
            #expect(decision.policy == "shop-bot@7")
        }
    }

    @Test func fillsASlotOverTurnsThenLooksUpTheOrder() async throws {
        try await BotStack.run { bot in
            let conversation = try await bot.chatwoot.startConversation(maria)
            try await bot.customer("where is my order", in: conversation)
            #expect(try await bot.publicBotTexts(in: conversation) == ["Welcome to Shop!", "What's your order number?"])
            try await bot.customer("it is ab10001 I think", in: conversation)
            let texts = try await bot.publicBotTexts(in: conversation)
            #expect(texts.last == "Order AB10001 is shipped (ETA 2026-12-02).")
            #expect(bot.backends.requests.contains { $0.path.hasPrefix("/orders/AB10001") })
            // The lookup result is in the ledger, recorded before the reply was decided.
            let results = try bot.events().filter { $0.type == EventType.effectResult }.map { try EffectResult.decode($0.body) }
            let lookup = try #require(results.first { $0.kind == "lookup" })
            #expect(LookupAnswer(lookup.data)?.fields["status"]?.stringValue == "shipped")
        }
    }

    @Test func anEntityInTheFirstMessageSkipsTheQuestion() async throws {
        try await BotStack.run { bot in
            let conversation = try await bot.chatwoot.startConversation(maria)
            try await bot.customer("where is order AB-10002?", in: conversation)
            #expect(try await bot.publicBotTexts(in: conversation).last?.hasPrefix("Order AB-10002 is processing") == true)
        }
    }

    @Test func anUnknownOrderIsNotFoundAndAnInvalidAnswerIsAskedAgain() async throws {
        try await BotStack.run { bot in
            let conversation = try await bot.chatwoot.startConversation(maria)
            try await bot.customer("track my order", in: conversation)
            try await bot.customer("no idea", in: conversation)
            #expect(try await bot.publicBotTexts(in: conversation).suffix(2) == ["Order numbers look like AB-12345.", "What's your order number?"])
            try await bot.customer("ZZ-99999", in: conversation)
            #expect(try await bot.publicBotTexts(in: conversation).last == "I couldn't find order ZZ-99999.")
        }
    }

    @Test func aFailingLookupHandsOffWithAContextNote() async throws {
        try await BotStack.run { bot in
            let conversation = try await bot.chatwoot.startConversation(maria)
            bot.backends.failNext(10, pathMatching: "/orders", with: .status(503))
            try await bot.customer("where is order AB-10001", in: conversation)
            #expect(try await bot.chatwoot.conversation(conversation).status == .open)
            #expect(try await bot.chatwoot.conversation(conversation).priority == .high)
            let note = try #require(try await bot.privateNotes(in: conversation).last)
            #expect(note.contains("lookup order_status failed"))
            #expect(note.contains("order_number: AB-10001"))
            #expect(note.contains("Maria Silva"))
            #expect(try await bot.publicBotTexts(in: conversation).last == "Passing you to a colleague.")
        }
    }

    @Test func inputSelectAnswerLeadsToCards() async throws {
        try await BotStack.run { bot in
            let conversation = try await bot.chatwoot.startConversation(maria)
            try await bot.customer("show me the news", in: conversation)
            let select = try #require(try await bot.lastBotMessage(.inputSelect, in: conversation))
            #expect(select.contentAttributes["items"]?.arrayValue?.count == 2)
            try await bot.chatwoot.customerSelects("technology", of: select.id)
            try await bot.settle()
            let cards = try #require(try await bot.lastBotMessage(.cards, in: conversation))
            let items = try #require(cards.contentAttributes["items"]?.arrayValue)
            #expect(items.count == 3)
            #expect(items[0]["actions"]?[0]?["type"]?.stringValue == "link")
            #expect(cards.content == "Latest in technology:")
            // A later update of the same message (delivery status) re-sends the answer: no second reply.
            let before = try await bot.botMessages(in: conversation).count
            try await bot.chatwoot.customerSelects("technology", of: select.id)
            try await bot.settle()
            #expect(try await bot.botMessages(in: conversation).count == before)
        }
    }

    /// The customer moves on, then scrolls back and taps the old menu: the tap answers that
    /// menu's question (not the order number the bot asked for since), and its flow runs as a
    /// new request would.
    @Test func anOldWidgetAnswersItsOwnQuestionNotTheCurrentOne() async throws {
        try await BotStack.run { bot in
            let conversation = try await bot.chatwoot.startConversation(maria)
            try await bot.customer("show me the news", in: conversation)
            let select = try #require(try await bot.lastBotMessage(.inputSelect, in: conversation))
            try await bot.customer("where is my order", in: conversation)
            #expect(try await bot.publicBotTexts(in: conversation).last == "What's your order number?")
            try await bot.chatwoot.customerSelects("technology", of: select.id)
            try await bot.settle()
            let cards = try #require(try await bot.lastBotMessage(.cards, in: conversation))
            #expect(cards.content == "Latest in technology:")
            #expect(!(try await bot.publicBotTexts(in: conversation)).contains("Order numbers look like AB-12345."))
            let answered = try #require(try bot.decisions().map(\.decision).last { $0.explanation["input"]?["kind"]?.stringValue == "submission" })
            #expect(answered.explanation["steps"]?.arrayValue?.contains { $0.stringValue?.hasPrefix("answers the bot's earlier question") == true } == true,
                    "\(answered.explanation)")
            // The order number typed next is understood as any message.
            try await bot.customer("AB10001", in: conversation)
            #expect(try await bot.publicBotTexts(in: conversation).last == "Order AB10001 is shipped (ETA 2026-12-02).")
        }
    }

    /// A question answered by typing its option is over: tapping its button later does not
    /// answer it again (a second booking under a new key).
    @Test func aWidgetAnsweredByTypingIsNotAnsweredAgainByItsButton() async throws {
        try await BotStack.run { bot in
            let conversation = try await bot.chatwoot.startConversation(maria)
            let rooms = try await Self.askForARoom(bot, in: conversation)
            try await bot.customer("deluxe", in: conversation)
            #expect(try await bot.publicBotTexts(in: conversation).contains("Booked! Your reference is BK-0001."))
            try await bot.chatwoot.customerSelects("deluxe", of: rooms.id)
            try await bot.settle()
            #expect(bot.backends.bookings.count == 1)
            #expect(bot.backends.requests.filter { $0.method == "POST" }.count == 1)
        }
    }

    /// "I want to book a room", the form submitted for two guests: the rooms question.
    private static func askForARoom(_ bot: BotStack, in conversation: ConversationAddress) async throws -> SimulatedMessage {
        try await bot.customer("I want to book a room", in: conversation)
        let form = try #require(try await bot.lastBotMessage(.form, in: conversation))
        try await bot.chatwoot.customerSubmitsForm(["checkin": "2027-03-10", "checkout": "2027-03-12", "guests": "2"], of: form.id)
        try await bot.settle()
        return try #require(try await bot.lastBotMessage(.inputSelect, in: conversation))
    }

    /// A form whose value does not validate (9 guests, at most 6) is a wrong answer: the form is
    /// asked again, and the second wrong answer in a row hands off (after_fallbacks: 2). It came
    /// back silently forever.
    @Test func aFormWithAnInvalidValueCountsTowardsAHandOff() async throws {
        try await BotStack.run { bot in
            let conversation = try await bot.chatwoot.startConversation(maria)
            try await bot.customer("I want to book a room", in: conversation)
            for attempt in 1...2 {
                let form = try #require(try await bot.lastBotMessage(.form, in: conversation))
                try await bot.chatwoot.customerSubmitsForm(["checkin": "2027-03-10", "checkout": "2027-03-12", "guests": "9"], of: form.id)
                try await bot.settle()
                let decision = try #require(try bot.decisions().last?.decision)
                let steps = decision.explanation["steps"]?.arrayValue?.compactMap(\.stringValue) ?? []
                #expect(attempt == 2 || steps.contains("form field guests is not valid; asked again"), "attempt \(attempt): \(decision.explanation)")
                #expect(decision.explanation["fallback"] == true || decision.explanation["rule"] == "slot_invalid:guests", "attempt \(attempt): \(decision.explanation)")
            }
            #expect(try await bot.chatwoot.conversation(conversation).status == .open, "handed off after two wrong answers")
        }
    }

    @Test func formThenChoiceThenIdempotentBookingThenCSAT() async throws {
        try await BotStack.run { bot in
            let conversation = try await bot.chatwoot.startConversation(maria)
            let rooms = try await Self.askForARoom(bot, in: conversation)
            #expect(rooms.content == "Rooms for 2 from 2027-03-10:")
            #expect(rooms.contentAttributes["items"]?.arrayValue?.compactMap { $0["value"]?.stringValue } == ["standard", "deluxe"])
            try await bot.chatwoot.customerSelects("deluxe", of: rooms.id)
            try await bot.settle()
            #expect(try await bot.publicBotTexts(in: conversation).contains("Booked! Your reference is BK-0001."))
            #expect(bot.backends.bookings.count == 1)
            let post = try #require(bot.backends.requests.first { $0.method == "POST" })
            #expect(post.header("Idempotency-Key")?.hasPrefix("ledgerbot-") == true)
            let csat = try #require(try await bot.lastBotMessage(.inputCSAT, in: conversation))
            try await bot.chatwoot.customerRatesCSAT(5, of: csat.id)
            try await bot.settle()
            #expect(try await bot.publicBotTexts(in: conversation).last == "Thanks for rating us 5/5!")
        }
    }

    @Test func anAnswerToChatwootsOwnEmailBoxIsNotAnAnswerToTheBot() async throws {
        try await BotStack.run { bot in
            let conversation = try await bot.chatwoot.startConversation(VisitorProfile(name: "Ana Costa"))
            try await bot.customer("where is my order", in: conversation)
            #expect(try await bot.publicBotTexts(in: conversation) == ["Welcome to Shop!", "What's your order number?"])
            let decisions = try bot.decisions().count
            let box = try await bot.chatwoot.chatwootCollectsEmail(in: conversation)
            try await bot.chatwoot.customerSubmitsEmail("ana@example.com", of: box.id)
            try await bot.settle()
            // The templates and the answer are in the ledger, but the bot neither answers them nor
            // takes the address for anything: it still waits for the order number.
            #expect(try bot.events().filter { $0.type == "webhook.received" }.contains {
                String(decoding: $0.body, as: UTF8.self).contains("\"submitted_email\":\"ana@example.com\"")
            })
            #expect(try bot.decisions().count == decisions)
            try await bot.customer("AB-10002", in: conversation)
            #expect(try await bot.publicBotTexts(in: conversation).last == "Order AB-10002 is processing (ETA 2026-12-09).")
        }
    }

    @Test func emailBoxAnswerFillsTheSlot() async throws {
        try await BotStack.run { bot in
            let conversation = try await bot.chatwoot.startConversation(maria)
            try await bot.customer("subscribe me to the newsletter", in: conversation)
            let box = try #require(try await bot.lastBotMessage(.inputEmail, in: conversation))
            try await bot.chatwoot.customerSubmitsEmail("news@example.com", of: box.id)
            try await bot.settle()
            #expect(try await bot.publicBotTexts(in: conversation).last == "Subscribed news@example.com.")
        }
    }

    @Test func authenticatesBeforeRevealingAccountData() async throws {
        try await BotStack.run { bot in
            let conversation = try await bot.chatwoot.startConversation(maria)
            try await bot.customer("check my account status", in: conversation)
            #expect(try await bot.publicBotTexts(in: conversation).last == "What's your email?")
            try await bot.customer("maria@example.com", in: conversation)
            #expect(try await bot.publicBotTexts(in: conversation).last == "What's your order number?")
            try await bot.customer("AB-10001", in: conversation)
            let texts = try await bot.publicBotTexts(in: conversation)
            let decided = try bot.decisions().suffix(3).map { "\($0.seq)←\($0.causation ?? 0) \($0.decision.explanation["rule"] ?? .null) \($0.decision.explanation["steps"] ?? .null)" }
            #expect(texts.suffix(2) == ["Verified.", "Maria Silva, you are on the gold plan."], "\(texts) \(decided)")
        }
    }

    @Test func failedAuthenticationTwiceHandsOff() async throws {
        try await BotStack.run { bot in
            let conversation = try await bot.chatwoot.startConversation(maria)
            try await bot.customer("my account", in: conversation)
            for _ in 0..<2 {
                try await bot.customer("maria@example.com", in: conversation)
                try await bot.customer("AB-20001", in: conversation) // João's order
            }
            #expect(try await bot.chatwoot.conversation(conversation).status == .open)
            #expect(try await bot.privateNotes(in: conversation).last?.contains("authentication failed 2 times") == true)
            #expect(!(try await bot.publicBotTexts(in: conversation).contains { $0.contains("gold") }))
        }
    }
}

/// Chatwoot before v4.13 sends agent bots no delivery id and no signature: the bot tells a
/// re-sent delivery by its content (docs/chatwoot-protocol.md §3.2, §3.5).
@Suite struct OlderChatwootTests {
    @Test func withoutDeliveryIDsTheBotConversesAndARepeatedAnswerIsStoredOnceByItsContent() async throws {
        let temp = TemporaryDirectory()
        var configuration = SimulatorConfiguration()
        configuration.delivery = DeliveryConfiguration(identifiesDeliveries: false)
        try await ChatwootSimulator.withRunning(configuration: configuration) { chatwoot in
            try await SampleBackends.withRunning { backends in
                try await BotStack.run(directory: temp.ledgerDirectory, chatwoot: chatwoot, backends: backends) { bot in
                    await bot.chatwoot.setBotSecret("set-but-never-used-before-v4.13") // an old Chatwoot signs nothing
                    let conversation = try await bot.chatwoot.startConversation(VisitorProfile(name: "Maria Silva"))
                    try await bot.customer("show me the news", in: conversation)
                    let select = try #require(try await bot.lastBotMessage(.inputSelect, in: conversation))
                    try await bot.chatwoot.customerSelects("technology", of: select.id)
                    try await bot.settle()
                    #expect(try await bot.lastBotMessage(.cards, in: conversation)?.content == "Latest in technology:")
                    // The same update again (a delivery-status change re-sends it): the same content,
                    // so the same key; acknowledged and recorded as a duplicate, never answered.
                    let replies = try await bot.botMessages(in: conversation).count
                    try await bot.chatwoot.customerSelects("technology", of: select.id)
                    try await bot.settle()
                    #expect(try await bot.botMessages(in: conversation).count == replies)
                    #expect(bot.chatwoot.deliveries.allSatisfy { $0.outcome == .delivered && $0.attempts.allSatisfy { $0.signature == nil } })
                }
            }
        }
        let events = try readLedger(temp.ledgerDirectory)
        let received = events.filter { $0.type == EventType.webhookReceived }.map { String(decoding: $0.meta, as: UTF8.self) }
        #expect(received.count > 5)
        #expect(received.allSatisfy { $0.contains("\"dedupe\":\"c:") && !$0.contains("\"delivery\"") }, "\(received)")
        let duplicates = events.filter { $0.type == EventType.webhookDuplicate }
        #expect(duplicates.count == 1)
        #expect(duplicates.first.map { String(decoding: $0.meta, as: UTF8.self).contains("\"event\":\"message_updated\"") } == true)
    }
}

/// Outside the website widget a customer answers the bot's options with a message: WhatsApp
/// sends the chosen option's title, Telegram its value (docs/chatwoot-protocol.md §6). The bot
/// takes a message that names an option of its last question as that choice, and sends what
/// the channel cannot show (cards, forms, options on SMS) in a form it can.
@Suite struct OtherChannelTests {
    @Test(arguments: [(SimulatedInbox.whatsAppChannel, "Sports"), (SimulatedInbox.telegramChannel, "sports")])
    func anOptionAnsweredWithAMessageIsTheChoice(channel: String, sent: String) async throws {
        try await BotStack.run { bot in
            let conversation = try await Self.start(on: channel, bot)
            try await bot.customer("show me the news", in: conversation)
            let select = try #require(try await bot.lastBotMessage(.inputSelect, in: conversation))
            try await bot.chatwoot.customerSelects("sports", of: select.id)
            try await bot.settle()
            let incoming = try await bot.chatwoot.transcript(of: conversation).filter { $0.messageType == .incoming }
            #expect(incoming.last?.content == sent)
            // Cards do not render there: the articles come as a text listing with their links.
            #expect(try await bot.lastBotMessage(.cards, in: conversation) == nil)
            let listing = try #require(try await bot.publicBotTexts(in: conversation).last)
            #expect(listing.hasPrefix("Latest in sports:\n\nUnderdogs clinch the league title on the final day\n"), "\(listing)")
            #expect(listing.contains("https://"), "\(listing)")
            let steps = try #require(try bot.decisions().last { $0.decision.explanation["steps"] != nil }?.decision.explanation["steps"])
            #expect(steps.arrayValue?.first?.stringValue == "the message names option 'Sports' of the bot's last question", "\(steps)")
        }
    }

    @Test func aMessageThatNamesNoOptionIsUnderstoodAsAnyOther() async throws {
        try await BotStack.run { bot in
            let conversation = try await Self.start(on: SimulatedInbox.whatsAppChannel, bot)
            try await bot.customer("show me the news", in: conversation)
            try await bot.customer("where is my order", in: conversation)
            #expect(try await bot.publicBotTexts(in: conversation).last == "What's your order number?")
            // That reply asked no question with options: the earlier ones no longer count.
            try await bot.customer("Sports", in: conversation)
            let explanation = try #require(try bot.decisions().last?.decision.explanation)
            #expect(!(explanation["steps"]?.arrayValue ?? []).contains { $0.stringValue?.contains("names option") == true }, "\(explanation)")
        }
    }

    @Test func aBookingOnWhatsAppAsksOneQuestionPerFieldInsteadOfAForm() async throws {
        try await BotStack.run { bot in
            let conversation = try await Self.start(on: SimulatedInbox.whatsAppChannel, bot)
            try await bot.customer("I want to book a room", in: conversation)
            #expect(try await bot.lastBotMessage(.form, in: conversation) == nil)
            #expect(try await bot.publicBotTexts(in: conversation).last == "Check-in date?")
            try await bot.customer("2027-03-10", in: conversation)
            #expect(try await bot.publicBotTexts(in: conversation).last == "Check-out date?")
            try await bot.customer("2027-03-12", in: conversation)
            #expect(try await bot.publicBotTexts(in: conversation).last == "How many guests?")
            try await bot.customer("2", in: conversation)
            let rooms = try #require(try await bot.lastBotMessage(.inputSelect, in: conversation))
            #expect(rooms.content == "Rooms for 2 from 2027-03-10:")
            // Something else first: the bot does not understand, and the question still stands,
            // its buttons still there to tap.
            try await bot.customer("hmm, let me think", in: conversation)
            #expect(try await bot.lastBotMessage(.inputSelect, in: conversation)?.id == rooms.id)
            try await bot.chatwoot.customerSelects("deluxe", of: rooms.id) // WhatsApp sends the title back
            try await bot.settle()
            #expect(try await bot.publicBotTexts(in: conversation).contains("Booked! Your reference is BK-0001."))
            #expect(bot.backends.bookings.count == 1)
            let chosen = try #require(try bot.decisions().first { $0.decision.explanation["option"] != nil }?.decision.explanation["option"])
            #expect(chosen == ["title": "deluxe — 190 USD", "value": "deluxe", "matched_by": "title"])
        }
    }

    @Test func onSMSTheOptionsAreListedInTheQuestionAndAnsweredByTitle() async throws {
        try await BotStack.run { bot in
            let conversation = try await Self.start(on: SimulatedInbox.smsChannel, bot)
            try await bot.customer("show me the news", in: conversation)
            let select = try #require(try await bot.lastBotMessage(.inputSelect, in: conversation))
            #expect(select.content == "Pick a topic:\n\n- Technology\n- Sports")
            try await bot.customer("technology", in: conversation)
            #expect(try await bot.publicBotTexts(in: conversation).last?.hasPrefix("Latest in technology:\n\n") == true)
        }
    }

    /// A question that only collects a slot (no `next:`): the click fills it and nothing more is
    /// said — it was also read as a message, which the NLU did not understand: the fallback
    /// reply, counted towards a hand-off.
    @Test func anOptionThatOnlyFillsASlotIsUnderstood() async throws {
        let source = try String(contentsOf: fixturesDirectory().appendingPathComponent("policies/shop-bot.yml"), encoding: .utf8)
        // Without `next:`, and without the intent it led to (its rule, up to the next intent's).
        var lines = source.replacingOccurrences(of: "        slot: topic\n        next: recommend\n", with: "        slot: topic\n")
            .components(separatedBy: "\n")
        let start = try #require(lines.firstIndex(of: "  recommend:"))
        let end = try #require(lines[(start + 1)...].firstIndex { $0.hasPrefix("  ") && !$0.hasPrefix("   ") })
        lines.removeSubrange(start..<end)
        let yaml = lines.joined(separator: "\n")
        #expect(!yaml.contains("  recommend:") && !yaml.contains("next: recommend"))
        try await BotStack.run(yaml: yaml) { bot in
            let conversation = try await bot.chatwoot.startConversation(VisitorProfile(name: "Maria Silva", email: "maria@example.com"))
            try await bot.customer("show me the news", in: conversation)
            let select = try #require(try await bot.lastBotMessage(.inputSelect, in: conversation))
            let before = try await bot.publicBotTexts(in: conversation)
            try await bot.chatwoot.customerSelects("Sports", of: select.id)
            try await bot.settle()
            #expect(try await bot.publicBotTexts(in: conversation) == before, "nothing more said")
            let last = try #require(try bot.decisions().last?.decision)
            #expect(last.explanation["slots"]?["set"]?["topic"] == "sports", "\(last.explanation)")
            #expect(last.explanation["fallback"] == nil, "\(last.explanation)")
        }
    }

    private static func start(on channel: String, _ bot: BotStack) async throws -> ConversationAddress {
        try await bot.chatwoot.addInbox(SimulatedInbox(id: 4, accountId: 1, name: "Acme on \(channel)", channel: channel))
        // The sample booking desk wants an email (the policy sends the contact's).
        return try await bot.chatwoot.startConversation(VisitorProfile(name: "Maria Silva", email: "maria@example.com"), inboxId: 4)
    }
}
