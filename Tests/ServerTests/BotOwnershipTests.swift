import AsyncHTTPClient
import Chatwoot
import Domain
import Foundation
import Ledger
import LedgerbotTesting
import NIOCore
import Simulator
import Testing

/// Who owns the conversation, over real HTTP: hand-off triggers, silence while a human owns it,
/// notes for the agent, hand-back, resolve and reopen, redelivery, restart.
@Suite(.serialized) struct BotOwnershipTests {
    private let maria = VisitorProfile(name: "Maria Silva", email: "maria@example.com")

    @Test(arguments: ["I want to talk to a human agent", "quero falar com um atendente", "get me an agent"])
    func askingForAHumanHandsOff(_ request: String) async throws {
        try await BotStack.run { bot in
            let conversation = try await bot.chatwoot.startConversation(maria)
            try await bot.customer(request, in: conversation)
            let state = try await bot.chatwoot.conversation(conversation)
            #expect(state.status == .open)
            #expect(state.priority == .high)
            #expect(try await bot.publicBotTexts(in: conversation) == ["Passing you to a colleague."])
            let note = try #require(try await bot.privateNotes(in: conversation).first)
            #expect(note.contains("customer asked for a human"))
            #expect(note.contains(request))
        }
    }

    @Test func twoMessagesNotUnderstoodHandOff() async throws {
        try await BotStack.run { bot in
            let conversation = try await bot.chatwoot.startConversation(maria)
            try await bot.customer("xq zzv plonk", in: conversation)
            #expect(try await bot.publicBotTexts(in: conversation) == ["Sorry, I didn't understand."])
            #expect(try await bot.chatwoot.conversation(conversation).status == .pending)
            try await bot.customer("brrr fnord", in: conversation)
            #expect(try await bot.chatwoot.conversation(conversation).status == .open)
            #expect(try await bot.privateNotes(in: conversation).last?.contains("2 messages in a row not understood") == true)
        }
    }

    @Test func outsideBusinessHoursRepliesWithTheHoursAndHandsOff() async throws {
        let yaml = try String(contentsOf: fixturesDirectory().appendingPathComponent("policies/shop-bot.yml"), encoding: .utf8)
            + """

            business_hours:
              timezone: Pacific/Kiritimati
              hours:
                sun: "00:00-00:01"
              outside: handoff
              reply: "We're closed. Hours: {{hours}}."
            """
        try await BotStack.run(yaml: yaml) { bot in
            let conversation = try await bot.chatwoot.startConversation(maria)
            try await bot.customer("hello", in: conversation)
            #expect(try await bot.publicBotTexts(in: conversation).first == "We're closed. Hours: Sun 00:00–00:01 (Pacific/Kiritimati).")
            #expect(try await bot.chatwoot.conversation(conversation).status == .open)
        }
    }

    @Test func whileOpenTheBotOnlyPostsPrivateNotes() async throws {
        try await BotStack.run { bot in
            let conversation = try await bot.chatwoot.startConversation(maria)
            try await bot.customer("get me an agent", in: conversation)
            let publicBefore = try await bot.publicBotTexts(in: conversation)
            try await bot.customer("hello? where is my order", in: conversation)
            try await bot.customer("it's AB-10001", in: conversation)
            try await bot.customer("AB-10001 again", in: conversation) // noted once only
            try await bot.customer("or ab-10001 as I wrote it", in: conversation) // the same order, as its slot holds it
            #expect(try await bot.publicBotTexts(in: conversation) == publicBefore)
            let notes = try await bot.privateNotes(in: conversation)
            #expect(notes.filter { $0.hasPrefix("Order ") } == ["Order AB-10001: shipped, ETA 2026-12-02."], "\(notes)")
            #expect(!bot.backends.requests.contains { $0.path.hasPrefix("/orders/ab-10001") })
            // No decision while open asked for a customer-visible message.
            let handoff = try #require(try bot.decisions().firstIndex { $0.decision.commands.contains(.setStatus(.open)) })
            for (_, _, decision) in try bot.decisions().dropFirst(handoff + 1) {
                #expect(!decision.commands.contains { $0.isCustomerVisible })
            }
        }
    }

    @Test func anAgentReplyWhilePendingSilencesTheBot() async throws {
        try await BotStack.run { bot in
            let conversation = try await bot.chatwoot.startConversation(maria)
            try await bot.customer("hello", in: conversation)
            try await bot.chatwoot.agentReplies("Hi Maria, Sam here.", in: conversation)
            try await bot.settle()
            try await bot.customer("where is my order", in: conversation)
            #expect(try await bot.publicBotTexts(in: conversation) == ["Hi Maria, how can I help?"])
        }
    }

    @Test func handBackToTheBotResumesWithTheContext() async throws {
        try await BotStack.run { bot in
            let conversation = try await bot.chatwoot.startConversation(maria)
            try await bot.customer("where is my order", in: conversation)
            try await bot.customer("talk to a human", in: conversation)
            try await bot.chatwoot.agentReplies("Let me hand you back to our assistant.", in: conversation)
            try await bot.chatwoot.agentSetsStatus(.pending, in: conversation)
            try await bot.settle()
            try await bot.customer("track my order AB-10001", in: conversation)
            #expect(try await bot.publicBotTexts(in: conversation).last == "Order AB-10001 is shipped (ETA 2026-12-02).")
        }
    }

    @Test func resolvedThenANewMessageStartsAfresh() async throws {
        try await BotStack.run { bot in
            let conversation = try await bot.chatwoot.startConversation(maria)
            try await bot.customer("check my account", in: conversation)
            try await bot.customer("maria@example.com", in: conversation)
            try await bot.chatwoot.agentSetsStatus(.resolved, in: conversation)
            try await bot.settle()
            try await bot.customer("hello again", in: conversation)
            #expect(try await bot.chatwoot.conversation(conversation).status == .pending)
            #expect(try await bot.publicBotTexts(in: conversation).last == "Hi Maria, how can I help?")
            // The pending question (order number for authentication) was forgotten with the resolve.
            try await bot.customer("AB-10001", in: conversation)
            #expect(try await bot.publicBotTexts(in: conversation).last != "Verified.")
        }
    }

    @Test func aRedeliveredOrDuplicatedWebhookGetsNoSecondReply() async throws {
        try await BotStack.run { bot in
            let conversation = try await bot.chatwoot.startConversation(maria)
            try await bot.customer("hello", in: conversation)
            let original = try #require(try bot.events().first { event in
                event.type == EventType.webhookReceived && String(decoding: event.body, as: UTF8.self).contains("\"content\":\"hello\"")
                    && String(decoding: event.body, as: UTF8.self).contains("\"event\":\"message_created\"")
            })
            for delivery in ["redelivery-1", "redelivery-2"] {
                let status = try await bot.post(original.body, headers: ["Content-Type": "application/json", "X-Chatwoot-Delivery": delivery])
                #expect(status == 200)
            }
            try await bot.settle()
            #expect(try await bot.publicBotTexts(in: conversation) == ["Hi Maria, how can I help?"])
            #expect(try bot.decisions().filter { !$0.decision.commands.isEmpty }.count == 1)
        }
    }

    @Test func aRestartMidConversationKeepsTheQuestionOpen() async throws {
        let temp = TemporaryDirectory()
        try await BotStack.afterFirstRun(in: temp, visitor: maria, saying: "where is my order") { directory, chatwoot, backends, address in
            try await BotStack.run(directory: directory, chatwoot: chatwoot, backends: backends) { bot in
                try await bot.customer("AB-10001", in: address)
                #expect(try await bot.publicBotTexts(in: address) == ["Welcome to Shop!", "What's your order number?",
                                                                       "Order AB-10001 is shipped (ETA 2026-12-02)."])
                // Each input was decided once across both runs.
                let causes = try bot.decisions().compactMap(\.causation)
                #expect(Set(causes).count == causes.count)
            }
        }
    }

    private func shopBot(appending extra: String, replacing: (String, String)? = nil) throws -> String {
        var yaml = try String(contentsOf: fixturesDirectory().appendingPathComponent("policies/shop-bot.yml"), encoding: .utf8)
        if let (old, new) = replacing { yaml = yaml.replacingOccurrences(of: old, with: new) }
        return yaml + extra
    }

    @Test func aCustomerWaitingWithoutAnAgentReplyIsNotedOnceTheTimerFires() async throws {
        let yaml = try shopBot(appending: "", replacing: ("monitoring:\n", """
            monitoring:
              - waiting: 1s
                note: "The customer has waited {{minutes}} min since the hand-off."
                priority: urgent

            """))
        try await BotStack.run(yaml: yaml) { bot in
            let waiting = try await bot.chatwoot.startConversation(maria)
            try await bot.customer("get me an agent", in: waiting)
            let answered = try await bot.chatwoot.startConversation(VisitorProfile(name: "João", email: "joao@example.com"))
            try await bot.customer("get me an agent", in: answered)
            try await bot.chatwoot.agentReplies("Hi João, Sam here.", in: answered)
            try await bot.chatwoot.waitUntil(timeout: .seconds(30)) { chatwoot in
                try await chatwoot.transcript(of: waiting).contains { $0.isPrivate && ($0.content ?? "").hasPrefix("The customer has waited") }
            }
            // Both timers fire and are recorded (the second was scheduled a moment later: wait for
            // it rather than assume it fired together with the first).
            var fired: [LedgerEvent] = []
            let deadline = ContinuousClock.now + .seconds(30)
            while ContinuousClock.now < deadline {
                fired = try bot.events().filter { $0.type == EventType.timerFired }
                if fired.count >= 2 { break }
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(fired.count == 2)
            try await bot.settle()
            #expect(try await bot.chatwoot.conversation(waiting).priority == .urgent)
            // The answered conversation's timer decided nothing visible.
            #expect(try await bot.privateNotes(in: answered).allSatisfy { !$0.hasPrefix("The customer has waited") })
        }
    }

    @Test func monitoringNotesAreRateLimitedPerConversation() async throws {
        let yaml = try shopBot(appending: "\nmonitor_notes_per_hour: 2\n")
        try await BotStack.run(yaml: yaml) { bot in
            let conversation = try await bot.chatwoot.startConversation(maria)
            try await bot.customer("get me an agent", in: conversation)
            for order in ["AB-10001", "AB-10002", "AB-20001"] { try await bot.customer("what about \(order)?", in: conversation) }
            let notes = try await bot.privateNotes(in: conversation).filter { $0.hasPrefix("Order ") }
            #expect(notes.count == 2)
            let last = try #require(try bot.decisions().last?.decision)
            #expect(last.explanation["steps"]?.arrayValue?.contains { $0.stringValue?.hasPrefix("note limit reached") == true } == true)
        }
    }

    /// Several notes asked for by one message count one by one, not as one. A rule without a
    /// lookup notes each order at once, in the message's own decision; a rule with one asks for
    /// no more lookups (each a note to come) than the limit lets post.
    @Test(arguments: [false, true])
    func oneMessageNamingManyOrdersStaysWithinTheNoteLimit(ruleLooksUp: Bool) async throws {
        let yaml = ruleLooksUp ? try shopBot(appending: "\nmonitor_notes_per_hour: 2\n")
            : try shopBot(appending: "\nmonitor_notes_per_hour: 2\n", replacing: ("  - entity: order_number\n    lookup: order_status\n", "  - entity: order_number\n"))
        try await BotStack.run(yaml: yaml) { bot in
            let conversation = try await bot.chatwoot.startConversation(maria)
            try await bot.customer("get me an agent", in: conversation)
            try await bot.customer("what about AB-10001, AB-10002 and AB-20001?", in: conversation)
            let notes = try await bot.privateNotes(in: conversation).filter { $0.hasPrefix("Order ") }
            #expect(notes.count == 2, "\(notes)")
            #expect(bot.backends.requests.filter { $0.path.hasPrefix("/orders/") }.count == (ruleLooksUp ? 2 : 0))
        }
    }

    /// The notes of one decision count one by one in the later turns too (the fold kept one time per decision).
    @Test func aDecisionWithSeveralNotesCountsEachInLaterTurns() async throws {
        let yaml = try shopBot(appending: "\nmonitor_notes_per_hour: 3\n",
                               replacing: ("  - entity: order_number\n    lookup: order_status\n", "  - entity: order_number\n"))
        try await BotStack.run(yaml: yaml) { bot in
            let conversation = try await bot.chatwoot.startConversation(maria)
            try await bot.customer("get me an agent", in: conversation)
            try await bot.customer("what about AB-10001 and AB-10002?", in: conversation)
            try await bot.customer("and AB-20001?", in: conversation)
            try await bot.customer("and AB-20002?", in: conversation)
            let notes = try await bot.privateNotes(in: conversation).filter { $0.hasPrefix("Order ") }
            #expect(notes.count == 3, "\(notes)")
            let last = try #require(try bot.decisions().last?.decision)
            #expect(last.explanation["steps"]?.arrayValue?.contains { $0.stringValue?.hasPrefix("note limit reached") == true } == true)
            let two = try #require(try bot.decisions().map(\.decision).first { $0.explanation["monitor_notes"] != nil })
            #expect(two.explanation["monitor_notes"]?.intValue == 2)
        }
    }

    @Test func aQuestionTheBotCanAnswerBecomesASuggestedReplyForTheAgent() async throws {
        let yaml = try shopBot(appending: "", replacing: ("monitoring:\n", "monitoring:\n  - suggest_replies: true\n"))
        try await BotStack.run(yaml: yaml) { bot in
            let conversation = try await bot.chatwoot.startConversation(maria)
            try await bot.customer("get me an agent", in: conversation)
            try await bot.customer("show me the news", in: conversation)
            try await bot.customer("show me the news please", in: conversation) // the same suggestion is not repeated
            let suggestions = try await bot.privateNotes(in: conversation).filter { $0.hasPrefix("Suggested reply") }
            #expect(suggestions == ["Suggested reply (news): Pick a topic:"])
            #expect(try await bot.publicBotTexts(in: conversation) == ["Passing you to a colleague."])
        }
    }

    @Test func theAgentHearsOfTheContactsUnresolvedEarlierConversation() async throws {
        let yaml = try shopBot(appending: "", replacing: ("monitoring:\n", "monitoring:\n  - earlier_conversations: true\n"))
        try await BotStack.run(yaml: yaml) { bot in
            let visitor = try await bot.chatwoot.createVisitor(maria)
            let first = try await bot.chatwoot.startConversation(for: visitor)
            try await bot.customer("get me an agent", in: first)
            #expect(try await bot.privateNotes(in: first).allSatisfy { !$0.hasPrefix("This customer has") })
            let second = try await bot.chatwoot.startConversation(for: visitor)
            try await bot.customer("get me an agent", in: second)
            let notes = try await bot.privateNotes(in: second)
            #expect(notes.contains("This customer has 1 unresolved earlier conversation(s): #\(first.conversationId) (open, human, hand-off: customer asked for a human)."))
            #expect(notes.first?.contains("**Earlier conversations:** 1 (unresolved: #\(first.conversationId))") == true)
            try await bot.customer("hello?", in: second) // noted once
            #expect(try await bot.privateNotes(in: second).filter { $0.hasPrefix("This customer has") }.count == 1)
        }
    }
}
