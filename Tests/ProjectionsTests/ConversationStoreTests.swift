import Chatwoot
import Domain
import Foundation
import Ledger
import Testing
@testable import Projections

@Suite struct ConversationStoreTests {
    @Test func duplicateDeliveriesAreIgnored() async throws {
        let scenario = try Scenario()
        var script = scenario.script
        let end = 1_778_665_200.0
        // Redeliveries the server recognised…
        script.duplicate(of: scenario[.firstMessage], at: end)
        script.duplicate(of: scenario[.optionChosen], at: end + 1)
        // …and ones it did not (outside its window): the same bodies stored again.
        for step in [Scenario.Step.customerAgain, .formSubmitted, .agentReply] {
            script.webhook(scenario.drafts[Int(scenario[step]) - 1].body, at: end + 2)
        }
        let onceLedger = try await TestLedger(scenario.drafts)
        let twiceLedger = try await TestLedger(script.drafts)
        let once = try ConversationStore.build(directory: onceLedger.directory)
        let twice = try ConversationStore.build(directory: twiceLedger.directory)
        #expect(twice.conversations == once.conversations)
        #expect(twice.contacts == once.contacts)
        #expect(twice.appliedSeq == once.appliedSeq + 5)
    }

    /// A customer's earlier conversations are the ones that name them now, by conversation id:
    /// the same whether the store folded every event (a replay) or was loaded from its states (a
    /// restarted `serve`), also after the customer wrote in an older conversation and after a
    /// conversation moved to another contact.
    @Test func earlierConversationsAreTheSameAfterALoadAsAfterTheFold() async throws {
        var script = LedgerScript()
        var time = 1_778_663_742.0
        func message(_ id: Int, conversation: Int, contact: Int) throws {
            time += 5
            let body = try Webhooks.message(id, "hello in \(conversation)", by: .customer, createdAt: time, status: "pending", updatedAt: time)
            script.webhook(try Webhooks.moved(body, account: 1, conversation: conversation, contact: contact), at: time, stream: "1/\(conversation)")
        }
        try message(1, conversation: 20, contact: 7)
        try message(2, conversation: 10, contact: 7) // the customer writes in an older conversation
        try message(3, conversation: 40, contact: 7)
        try message(4, conversation: 40, contact: 8) // conversation 40 moved to another contact (merged)
        try message(5, conversation: 50, contact: 7)
        // Conversation 50's sender then comes without an id: it names contact 7 no longer.
        time += 5
        let anonymous = try Webhooks.moved(try Webhooks.message(6, "hello again", by: .customer, createdAt: time, status: "pending", updatedAt: time),
                                           account: 1, conversation: 50, contact: 7)
        func withoutSenderIds(_ value: JSONValue, key: String?) -> JSONValue {
            switch value {
            case .object(let members):
                return .object(Dictionary(uniqueKeysWithValues: members.compactMap { member -> (String, JSONValue)? in
                    if key == "sender" && member.key == "id" { return nil }
                    return (member.key, withoutSenderIds(member.value, key: member.key))
                }))
            case .array(let elements): return .array(elements.map { withoutSenderIds($0, key: key) })
            default: return value
            }
        }
        script.webhook(try Webhooks.encode(withoutSenderIds(try JSONDecoder().decode(JSONValue.self, from: Data(anonymous)), key: nil)), at: time, stream: "1/50")
        let before = try await TestLedger(script.drafts).events()
        try message(7, conversation: 30, contact: 7)
        let next = try await TestLedger(script.drafts).events().last!

        var folded = ConversationStore()
        for event in before { folded.apply(event) }
        var loaded = ConversationStore(conversations: folded.conversations, contacts: folded.contacts, appliedSeq: folded.appliedSeq)
        let fromFold = folded.apply(next).after?.earlierConversations?.map(\.conversationId)
        let fromLoad = loaded.apply(next).after?.earlierConversations?.map(\.conversationId)
        #expect(fromFold == [10, 20])
        #expect(fromLoad == fromFold)
    }

    /// A contact with many conversations: a new one keeps the newest 20 as its earlier ones.
    @Test func earlierConversationsAreTheNewestTwenty() async throws {
        var script = LedgerScript()
        var time = 1_778_663_742.0
        for conversation in 1...30 {
            time += 5
            let body = try Webhooks.message(conversation, "hello", by: .customer, createdAt: time, status: "pending", updatedAt: time)
            script.webhook(try Webhooks.moved(body, account: 1, conversation: conversation, contact: 7), at: time, stream: "1/\(conversation)")
        }
        var store = ConversationStore()
        for event in try await TestLedger(script.drafts).events() { store.apply(event) }
        let earlier = store[ConversationAddress(accountId: 1, conversationId: 30)]?.earlierConversations?.map(\.conversationId)
        #expect(earlier == Array(10...29))
    }

    @Test func twoFoldsOverTheSameLedgerAreEqual() async throws {
        let ledger = try await TestLedger(try Scenario().drafts)
        let first = try ConversationStore.build(directory: ledger.directory)
        let second = try ConversationStore.build(directory: ledger.directory)
        #expect(first == second)
        #expect(first.conversations.count == 1)
        // Folding event by event through `Projector` gives the same conversation.
        var state = ConversationState(address: LedgerScript.address)
        for event in try ledger.events() where event.stream == LedgerScript.stream { Projector.apply(event, to: &state) }
        #expect(state == first[LedgerScript.address])
    }

    @Test func dailyMetricsCountTheConversation() async throws {
        let ledger = try await TestLedger(try Scenario().drafts)
        var store = ConversationStore()
        var total = DailyMetrics()
        var days = Set<Int64>()
        for event in try ledger.events() {
            let change = store.apply(event)
            total += change.metrics
            if !change.metrics.isZero { days.insert(change.day) }
        }
        var expected = DailyMetrics()
        expected.conversationsStarted = 1
        expected.handoffs = 1
        expected.resolvedByAgent = 1
        expected.customerMessages = 3
        expected.botReplies = 4
        expected.agentReplies = 1
        expected.fallbacks = 1
        expected.effectsFailed = 1
        #expect(total == expected)
        #expect(days == [ConversationStore.day(ofMicros: 1_778_663_742_000_000)])
    }

    @Test func aConversationResolvedWithoutHumansCountsForTheBot() async throws {
        var script = LedgerScript()
        script.webhook(try Webhooks.message(9001, "Where is my order?", by: .customer, createdAt: 1_778_663_742.318, status: "pending",
                                            updatedAt: 1_778_663_742.352), at: 1_778_663_742.4)
        let decision = script.decision([.sendMessage(.text("It ships today.")), .setStatus(.resolved)],
                                       StateUpdate(intent: IntentScore(name: "order_status", confidence: 0.9)), at: 1_778_663_742.5)
        script.result(decision, command: 0, kind: "send_message", messageId: 9002, at: 1_778_663_743)
        script.result(decision, command: 1, kind: "set_status", at: 1_778_663_743.2)
        script.webhook(try Webhooks.conversationEvent("conversation_resolved", status: "resolved", updatedAt: 1_778_663_743.3), at: 1_778_663_743.4)
        var store = ConversationStore()
        var total = DailyMetrics()
        for event in try await TestLedger(script.drafts).events() { total += store.apply(event).metrics }
        #expect(total.resolvedByBot == 1 && total.resolvedByAgent == 0 && total.handoffs == 0)
        #expect(store[LedgerScript.address]?.statusCause == .bot)
    }

    @Test func conversationEventsWithoutAnAccountAreRoutedToTheKnownConversation() async throws {
        // A conversation payload without messages carries no account (docs/chatwoot-protocol.md §4.3).
        var bare = try Webhooks.fixture("webhook-conversation_status_changed.json")
        bare.put("messages", .array([]))
        bare.put("id", 129)
        var script = LedgerScript()
        script.webhook(try Webhooks.message(9001, "Hi", by: .customer, createdAt: 1_778_663_742.318, status: "pending", updatedAt: 1_778_663_742.352),
                       at: 1_778_663_742.4)
        script.webhook(try Webhooks.encode(bare), at: 1_778_663_826.1, stream: "?/129")
        let ledger = try await TestLedger(script.drafts)
        let store = try ConversationStore.build(directory: ledger.directory)
        // One account in the ledger: conversation 129 belongs to it.
        #expect(store[ConversationAddress(accountId: 1, conversationId: 129)]?.status == .open)
        #expect(store[LedgerScript.address]?.status == .pending)
    }

    @Test func aWidgetTriggerWithAConversationUpdatesIt() async throws {
        var script = LedgerScript()
        script.webhook(try Webhooks.widgetTriggered(status: "resolved", updatedAt: 1_778_663_700), at: 1_778_663_700.1)
        let ledger = try await TestLedger(script.drafts)
        let store = try ConversationStore.build(directory: ledger.directory)
        #expect(store[LedgerScript.address]?.status == .resolved)
        #expect(store.contacts[ContactKey(accountId: 1, contactId: 42)]?.conversations == 1)
    }
}
