import Chatwoot
import Foundation
import Domain
import Ledger
import LedgerbotTesting
import Testing
@testable import Projections

/// The fold, step by step, over a real ledger.
@Suite struct ProjectorTests {
    /// A conversation with many widget submissions keeps the newest 256 message ids; an older
    /// id (its re-send by a later delivery update) still counts as handled, and a new one does not.
    @Test func handledSubmissionsAreBounded() throws {
        var body = try #require(try JSONSerialization.jsonObject(with: Data(try chatwootFixture("webhook-message_updated-input_select-submitted.json"))) as? [String: Any])
        var state = ConversationState(address: ConversationAddress(accountId: 1, conversationId: 128))
        func submit(_ id: Int, seq: Seq) throws {
            body["id"] = id
            Projector.apply(LedgerEvent(seq: seq, stream: "1/128", type: EventType.webhookReceived, time: 1_780_000_000_000_000 + Int64(seq), causation: nil,
                                        body: [UInt8](try JSONSerialization.data(withJSONObject: body)), meta: []), to: &state)
        }
        let limit = ConversationState.handledSubmissionLimit
        for index in 0..<(limit + 44) { try submit(10_000 + 2 * index, seq: Seq(index + 1)) }
        #expect(state.counts.submissions == limit + 44)
        #expect(state.handledSubmissions.count == limit && state.handledSubmissions.first == 10_000 + 2 * 44)
        #expect(state.hasHandledSubmission(messageId: 10_000) && state.hasHandledSubmission(messageId: 10_002))
        #expect(!state.hasHandledSubmission(messageId: 10_000 + 2 * (limit + 44)))
        #expect(!state.hasHandledSubmission(messageId: 10_000 + 2 * 100 + 1), "an id between the kept ones was never submitted")
        try submit(10_000, seq: 1_000)
        #expect(state.counts.submissions == limit + 44, "a re-send of a submission older than those kept is not counted again")
        try submit(10_000 + 2 * 100 + 1, seq: 1_001)
        #expect(state.counts.submissions == limit + 45)
        #expect(state.handledSubmissions.count == limit)
    }

    let address = LedgerScript.address

    private func micros(_ seconds: Double) -> Int64 { Webhooks.micros(seconds) }

    /// Folds `events` and returns the store after each step.
    private func fold(_ events: [LedgerEvent], _ scenario: Scenario) -> [Scenario.Step: ConversationStore] {
        let steps = Dictionary(uniqueKeysWithValues: scenario.seqs.map { ($0.value, $0.key) })
        var store = ConversationStore()
        var snapshots: [Scenario.Step: ConversationStore] = [:]
        for event in events {
            store.apply(event)
            snapshots[steps[event.seq]!] = store
        }
        return snapshots
    }

    @Test func fullConversationGivesTheExpectedStateAtEachStep() async throws {
        let scenario = try Scenario()
        let ledger = try await TestLedger(scenario.drafts)
        let after = fold(try ledger.events(), scenario)
        func state(_ step: Scenario.Step) throws -> ConversationState { try #require(after[step]?[address], "no state after \(step)") }
        let jane = ContactKey(accountId: 1, contactId: 42)

        // The widget opened before any conversation: only the contact is known.
        #expect(after[.widgetOpened]?.conversations.isEmpty == true)
        #expect(after[.widgetOpened]?.contacts[jane]?.info == ContactInfo(id: 42, name: "Jane Doe", email: "jane@example.com"))
        #expect(after[.widgetOpened]?.contacts[jane]?.conversations == 0)

        var s = try state(.firstMessage)
        #expect(s.status == .pending)
        #expect(s.statusCause == nil)
        #expect(s.transitions == [StatusTransition(from: nil, to: .pending, at: micros(1_778_663_742.352), cause: nil, seq: scenario[.firstMessage])])
        #expect(s.botMaySpeak)
        #expect(s.inboxId == 3 && s.channel == "Channel::WebWidget")
        #expect(s.contact == ContactInfo(id: 42, name: "Jane Doe", email: "jane@example.com"))
        #expect(s.counts.customer == 1 && s.counts.bot == 0)
        #expect(s.createdAt == micros(1_778_663_741))
        #expect(s.firstCustomerMessageAt == micros(1_778_663_742.318) && s.lastCustomerMessageAt == micros(1_778_663_742.318))
        #expect(s.lastCustomerMessages == [CustomerInput(kind: .message, messageId: 9001, text: "Hi, I need help with my order", at: micros(1_778_663_742.318))])
        #expect(after[.firstMessage]?.contacts[jane]?.conversations == 1)

        s = try state(.greetDecision)
        #expect(s.pendingEffects == [EffectReference(decision: scenario[.greetDecision], command: 0, kind: "send_message")])
        #expect(s.lastIntent == IntentScore(name: "greet", confidence: 0.81))
        #expect(try state(.greetResult).pendingEffects.isEmpty)
        #expect(try state(.greetEcho).counts.bot == 1)

        // The option answers once; its later re-send (delivery update) changes nothing.
        s = try state(.optionChosen)
        #expect(s.counts.submissions == 1 && s.handledSubmissions == [9002] && s.hasHandledSubmission(messageId: 9002))
        #expect(s.lastCustomerMessages.last == CustomerInput(kind: .submission, messageId: 9002, text: "track_order", at: micros(1_778_663_758.731)))
        #expect(s.counts.customer == 1)
        let resent = try state(.optionResent)
        #expect(resent.counts == s.counts && resent.lastCustomerMessages == s.lastCustomerMessages && resent.handledSubmissions == [9002])

        s = try state(.formDecision)
        #expect(s.slots == ["topic": "delivery"])
        #expect(s.lastIntent == IntentScore(name: "track_order", confidence: 0.92))
        #expect(try state(.formEcho).counts.bot == 2)
        s = try state(.formSubmitted)
        #expect(s.counts.submissions == 2 && s.handledSubmissions == [9002, 9004])
        #expect(s.lastCustomerMessages.map(\.text) == ["Hi, I need help with my order", "track_order", "jane@example.com"])

        s = try state(.handoffDecision)
        #expect(s.pendingEffects.map(\.kind) == ["send_message", "set_status", "private_note"])
        #expect(s.requestedStatus == RequestedStatus(status: .open, decision: scenario[.handoffDecision]))
        #expect(s.slots == ["topic": "delivery", "order_number": "A-10023", "contact.email": "jane@example.com"])
        #expect(s.authenticated)
        #expect(try state(.handoffReplyEcho).counts.bot == 3)
        #expect(try state(.handoffStatusResult).pendingEffects.map(\.command) == [2])

        // Hand-off: the status change the bot asked for.
        s = try state(.statusChangedOpen)
        #expect(s.status == .open && s.statusCause == .bot && s.requestedStatus == nil)
        #expect(s.handoffAt == micros(Scenario.handoffAt) && s.statusChangedAt == micros(Scenario.handoffAt))
        #expect(s.humanInvolved && !s.botMaySpeak)
        #expect(s.transitions.last == StatusTransition(from: .pending, to: .open, at: micros(Scenario.handoffAt), cause: .bot,
                                                       seq: scenario[.statusChangedOpen]))
        #expect(try state(.conversationOpened).transitions.count == 2)
        s = try state(.noteEcho)
        #expect(s.counts.privateNotes == 1 && s.counts.bot == 3 && s.pendingEffects.isEmpty)

        s = try state(.agentReply)
        #expect(s.counts.humanAgent == 1)
        #expect(s.firstAgentReplyAt == micros(Scenario.agentReplyAt))
        #expect(!s.humanActive) // a human replying while the conversation is theirs is the normal case

        // The agent hands the conversation back: the bot resumes with what it knew.
        s = try state(.agentHandsBack)
        #expect(s.status == .pending && s.statusCause == .agent(assigneeId: 2))
        #expect(s.botMaySpeak && s.authenticated && s.slots["order_number"] == "A-10023")
        #expect(s.handoffAt == micros(Scenario.handoffAt))

        s = try state(.customerAgain)
        #expect(s.counts.customer == 2 && s.lastCustomerMessageAt == micros(1_778_663_960))
        #expect(try state(.fallbackDecision).consecutiveFallbacks == 1)
        #expect(try state(.fallbackEcho).counts.bot == 4)
        s = try state(.typingFailed)
        #expect(s.pendingEffects.isEmpty && s.failedEffectCount == 1)
        #expect(s.failedEffects == [FailedEffect(effect: EffectReference(decision: scenario[.typingDecision], command: 0, kind: "typing"), status: 401,
                                                 error: "Access to this endpoint is not authorized for bots", seq: scenario[.typingFailed])])

        // Resolved by the agent: conversation-scoped memory is forgotten, contact slots kept.
        s = try state(.resolved)
        #expect(s.status == .resolved && s.statusCause == .agent(assigneeId: 2))
        #expect(s.slots == ["contact.email": "jane@example.com"])
        #expect(!s.authenticated && s.consecutiveFallbacks == 0 && !s.humanInvolved)
        #expect(s.lastIntent?.name == "handoff")

        s = try state(.csatTemplate)
        #expect(s.counts.template == 1 && s.counts.customer == 2)

        // The customer writes again: Chatwoot reopened it as pending before sending the message.
        s = try state(.customerReturns)
        #expect(s.status == .pending && s.statusCause == .customer && s.botMaySpeak)
        #expect(s.counts == {
            var counts = MessageCounts()
            counts.customer = 3
            counts.bot = 4
            counts.humanAgent = 1
            counts.template = 1
            counts.privateNotes = 1
            counts.submissions = 2
            return counts
        }())
        #expect(s.transitions.map { "\($0.from?.rawValue ?? "-")>\($0.to.rawValue)" } == ["->pending", "pending>open", "open>pending", "pending>resolved", "resolved>pending"])
        #expect(s.transitions.map(\.cause) == [nil, .bot, .agent(assigneeId: 2), .agent(assigneeId: 2), .customer])
        #expect(s.lastCustomerMessages.count == ConversationState.customerMessageLimit)
        #expect(s.lastCustomerMessages.last?.text == "Hello again")
        #expect(s.lastSeq == scenario[.customerReturns])
    }

    @Test func outOfOrderWebhooksGiveTheSameFinalStateAsInOrder() async throws {
        let scenario = try Scenario()
        let inOrderLedger = try await TestLedger(scenario.drafts)
        let shuffledLedger = try await TestLedger(scenario.outOfOrderDrafts())
        let inOrder = try ConversationStore.build(directory: inOrderLedger.directory)
        let shuffled = try ConversationStore.build(directory: shuffledLedger.directory)
        var expected = try #require(inOrder[address])
        var actual = try #require(shuffled[address])
        // Where a transition was first *seen* is an arrival fact; everything else must agree.
        #expect(actual.transitions.map(\.seq) != expected.transitions.map(\.seq))
        for index in expected.transitions.indices { expected.transitions[index].seq = 0 }
        for index in actual.transitions.indices { actual.transitions[index].seq = 0 }
        #expect(actual == expected)
        #expect(shuffled.contacts == inOrder.contacts.mapValues {
            var record = $0
            record.updatedSeq = shuffled.contacts[$0.key]!.updatedSeq
            return record
        })
    }

    @Test func aLateMessageCarryingAnOlderStatusDoesNotUndoANewerChange() throws {
        var state = ConversationState(address: address)
        let asked = try event(1, Webhooks.message(9001, "Hi", by: .customer, createdAt: 1_778_663_742.318, status: "pending", updatedAt: 1_778_663_742.352))
        let opened = try event(2, Webhooks.conversationEvent("conversation_status_changed", status: "open", updatedAt: 1_778_663_826.005))
        let lateEcho = try event(3, Webhooks.message(9005, "Connecting you", by: .bot, createdAt: 1_778_663_825.45, status: "pending",
                                                     updatedAt: 1_778_663_825.5))
        Projector.apply(asked, to: &state)
        Projector.apply(opened, to: &state)
        #expect(state.previousStatusObservedAt == micros(1_778_663_742.352))
        Projector.apply(lateEcho, to: &state)
        #expect(state.status == .open)
        #expect(state.statusObservedAt == micros(1_778_663_826.005))
        #expect(state.counts.bot == 1)
        // The late echo tells that `pending` lasted until 825.5: the change came after it.
        #expect(state.previousStatusObservedAt == micros(1_778_663_825.5))
    }

    @Test func privateNotesAndTemplatesAreCountedButNeverCustomerInput() throws {
        var state = ConversationState(address: address)
        let events = try [
            Webhooks.message(9001, "Hi", by: .customer, createdAt: 1_778_663_742.318, status: "pending", updatedAt: 1_778_663_742.352),
            Webhooks.message(9002, "Welcome to Acme!", by: .system, createdAt: 1_778_663_742.4, status: "pending", updatedAt: 1_778_663_742.45),
            Webhooks.message(9003, "VIP customer, be nice", by: .agent, isPrivate: true, createdAt: 1_778_663_743, status: "pending",
                             updatedAt: 1_778_663_743.1),
            Webhooks.message(9004, "Internal: refund approved", by: .customer, messageType: "incoming", isPrivate: true, createdAt: 1_778_663_744,
                             status: "pending", updatedAt: 1_778_663_744.1),
            Webhooks.message(9005, "Dialogflow says hi", by: .system, messageType: "outgoing", createdAt: 1_778_663_745, status: "pending",
                             updatedAt: 1_778_663_745.1),
            Webhooks.message(9006, "Please rate us", by: .system, contentType: "input_csat", createdAt: 1_778_663_746, status: "pending",
                             updatedAt: 1_778_663_746.1),
        ].enumerated().map { try event(Seq($0.offset + 1), $0.element) }
        for event in events { Projector.apply(event, to: &state) }
        #expect(state.counts.customer == 1)
        #expect(state.counts.template == 3)
        #expect(state.counts.privateNotes == 2)
        #expect(state.counts.humanAgent == 0)
        #expect(state.lastCustomerMessages.map(\.messageId) == [9001])
        #expect(state.lastCustomerMessageAt == micros(1_778_663_742.318))
        #expect(!state.humanActive) // a private note is not a human talking to the customer
    }

    @Test func anAgentReplyWhilePendingSilencesTheBotUntilTheConversationIsHandedBack() throws {
        var state = ConversationState(address: address)
        let events = try [
            Webhooks.message(9001, "Hi", by: .customer, createdAt: 1_778_663_742.318, status: "pending", updatedAt: 1_778_663_742.352),
            Webhooks.message(9002, "Hi, Sam here", by: .agent, createdAt: 1_778_663_750, status: "pending", updatedAt: 1_778_663_750.1),
        ].enumerated().map { try event(Seq($0.offset + 1), $0.element) }
        for event in events { Projector.apply(event, to: &state) }
        #expect(state.status == .pending && state.humanActive && !state.botMaySpeak)
        #expect(state.humanInvolved)
        // Who owns it, as the outbox asks before a message the customer would see: the agent,
        // unless the policy lets the bot go on after an agent's reply (`silence_on_agent_reply: false`).
        #expect(state.humanOwns(agentReplySilencesBot: true) && !state.humanOwns(agentReplySilencesBot: false))
        #expect(state.botMaySpeak(agentReplySilencesBot: false))

        Projector.apply(try event(3, Webhooks.conversationEvent("conversation_status_changed", status: "open", updatedAt: 1_778_663_760, assignee: 2)),
                        to: &state)
        #expect(state.handoffAt == micros(1_778_663_760))
        #expect(state.humanOwns(agentReplySilencesBot: false), "handed off: a human owns it whatever the policy")
        Projector.apply(try event(4, Webhooks.conversationEvent("conversation_status_changed", status: "pending", updatedAt: 1_778_663_770, assignee: 2)),
                        to: &state)
        #expect(state.status == .pending && !state.humanActive && state.botMaySpeak)

        // A reply written before the hand-back but delivered after it does not silence the bot again.
        Projector.apply(try event(5, Webhooks.message(9003, "One more thing", by: .agent, createdAt: 1_778_663_755, status: "pending",
                                                      updatedAt: 1_778_663_755.1)), to: &state)
        #expect(state.botMaySpeak && state.counts.humanAgent == 2)
    }

    @Test func slotsClearedOnResolveExceptContactSlots() throws {
        var state = ConversationState(address: address)
        Projector.apply(try event(1, Webhooks.message(9001, "Hi", by: .customer, createdAt: 1_778_663_742.318, status: "pending",
                                                      updatedAt: 1_778_663_742.352)), to: &state)
        let decision = Decision(conversation: address, commands: [],
                                explanation: StateUpdate(intent: IntentScore(name: "login"), setSlots: ["order": "A-1", "contact.tier": "gold"],
                                                         authenticated: true, fallback: true).apply(to: ["rule": "auth"]))
        Projector.apply(LedgerEvent(seq: 2, stream: LedgerScript.stream, type: EventType.decision, time: micros(1_778_663_743), causation: 1,
                                    body: try decision.encoded()), to: &state)
        #expect(state.slots == ["order": "A-1", "contact.tier": "gold"] && state.authenticated && state.consecutiveFallbacks == 1)
        Projector.apply(try event(3, Webhooks.conversationEvent("conversation_resolved", status: "resolved", updatedAt: 1_778_663_800)), to: &state)
        #expect(state.slots == ["contact.tier": "gold"])
        #expect(!state.authenticated && state.consecutiveFallbacks == 0)
        var copy = state
        copy.setSlot("city", to: "Lyon")
        copy.clearSlot("contact.tier")
        #expect(copy.slots == ["city": "Lyon"])
    }

    @Test func theOptionsOfTheBotsLastQuestionLastWhileItIsAwaited() throws {
        var state = ConversationState(address: address)
        var seq: Seq = 0
        func decide(_ commands: [Command], _ update: StateUpdate = StateUpdate()) throws {
            seq += 1
            let decision = Decision(conversation: address, commands: commands, explanation: update.apply())
            Projector.apply(LedgerEvent(seq: seq, stream: LedgerScript.stream, type: EventType.decision, time: micros(1_778_663_743), causation: nil,
                                        body: try decision.encoded()), to: &state)
        }
        func webhook(_ body: [UInt8]) {
            seq += 1
            Projector.apply(LedgerEvent(seq: seq, stream: LedgerScript.stream, type: EventType.webhookReceived, time: micros(1_778_663_744), causation: nil,
                                        body: body), to: &state)
        }
        // A menu (no slot, no next intent): its options last until the next public reply.
        let topics = [SelectItem(title: "Technology", value: "technology"), SelectItem(title: "Sports", value: "sports")]
        try decide([.sendMessage(.inputSelect("Pick a topic:", items: topics)), .sendMessage(.privateNote("offered topics"))])
        #expect(state.offeredOptions == topics)
        // A private note or a status change is no reply to the customer: the options stand.
        try decide([.sendMessage(.privateNote("still waiting")), .setStatus(.pending)])
        #expect(state.offeredOptions == topics)
        try decide([.sendMessage(.text("Latest in technology:"))])
        #expect(state.offeredOptions == nil)

        // A question the bot awaits: a fallback reply in between leaves it (and its buttons) standing.
        let rooms = [SelectItem(title: "Deluxe", value: "deluxe")]
        try decide([.sendMessage(.text("Here are the rooms")), .sendMessage(.inputSelect("Rooms:", items: rooms))],
                   StateUpdate(awaiting: .some(Awaiting(kind: .select, name: "room", intent: "confirm"))))
        #expect(state.offeredOptions == rooms)
        try decide([.sendMessage(.text("Sorry, I did not get that."))], StateUpdate(fallback: true))
        #expect(state.offeredOptions == rooms)
        // Answered (the awaited question cleared), the next reply ends them.
        try decide([.sendMessage(.text("Booked!"))], StateUpdate(awaiting: .some(nil)))
        #expect(state.offeredOptions == nil)

        // A human taking over ends them: a hand-off to `open`, or an agent's public reply.
        try decide([.sendMessage(.inputSelect("Rooms:", items: rooms))], StateUpdate(awaiting: .some(Awaiting(kind: .select, name: "room"))))
        webhook(try Webhooks.conversationEvent("conversation_status_changed", status: "open", updatedAt: 1_778_663_790))
        #expect(state.offeredOptions == nil)
        try decide([.sendMessage(.inputSelect("Rooms:", items: rooms))], StateUpdate(awaiting: .some(Awaiting(kind: .select, name: "room"))))
        webhook(try Webhooks.message(9101, "A private word", by: .agent, isPrivate: true, createdAt: 1_778_663_791, status: "open", updatedAt: 1_778_663_791))
        #expect(state.offeredOptions == rooms)
        webhook(try Webhooks.message(9102, "I can help", by: .agent, createdAt: 1_778_663_792, status: "open", updatedAt: 1_778_663_792))
        #expect(state.offeredOptions == nil)

        // And the resolution.
        try decide([.sendMessage(.inputSelect("Pick a topic:", items: topics))])
        webhook(try Webhooks.conversationEvent("conversation_resolved", status: "resolved", updatedAt: 1_778_663_800))
        #expect(state.offeredOptions == nil)
        // Kept with the state (the stored form reads back equal).
        state.offeredOptions = topics
        #expect(try ConversationState(storedJSON: state.storedJSON()) == state)
    }

    @Test func eventsOfOtherKindsChangeNothing() throws {
        var state = ConversationState(address: address)
        Projector.apply(try event(1, Webhooks.message(9001, "Hi", by: .customer, createdAt: 1_778_663_742.318, status: "pending",
                                                      updatedAt: 1_778_663_742.352)), to: &state)
        let before = state
        for (seq, type) in [(2, EventType.webhookDuplicate), (3, EventType.webhookRejected), (4, EventType.timerFired), (5, EventType.policyActivated)] {
            Projector.apply(LedgerEvent(seq: Seq(seq), stream: LedgerScript.stream, type: type, time: 0, causation: nil, body: Array("{}".utf8)), to: &state)
        }
        // A body that is not JSON (never stored by ingest, but the fold must not care).
        Projector.apply(LedgerEvent(seq: 6, stream: LedgerScript.stream, type: EventType.webhookReceived, time: 0, causation: nil, body: Array("nope".utf8)),
                        to: &state)
        #expect(state == before)
    }

    private func event(_ seq: Seq, _ body: [UInt8]) throws -> LedgerEvent {
        LedgerEvent(seq: seq, stream: LedgerScript.stream, type: EventType.webhookReceived, time: 1_778_663_742_000_000 + Int64(seq), causation: nil, body: body)
    }

    /// When the conversation's contact becomes another person (Chatwoot merged contacts, the
    /// widget identified someone else), what was verified and collected about the previous one
    /// does not carry over.
    @Test func anotherContactIsNotVerifiedByThePreviousOne() throws {
        var state = ConversationState(address: address)
        Projector.apply(try event(1, Webhooks.message(9001, "Hi", by: .customer, createdAt: 1_778_663_742, status: "pending", updatedAt: 1_778_663_742.1)),
                        to: &state)
        #expect(state.contact?.id == 42)
        state.authenticated = true
        state.slots = ["contact.email": "jane@example.com", "order_number": "AB-10001"]
        // The same payload, its contact now 43.
        func recontact(_ value: Any) -> Any {
            if var object = value as? [String: Any] {
                if object["id"] as? Int == 42, object["type"] as? String == "contact" || object["email"] != nil || object["name"] != nil { object["id"] = 43 }
                for (key, member) in object { object[key] = recontact(member) }
                return object
            }
            if let array = value as? [Any] { return array.map(recontact) }
            return value
        }
        let body = try Webhooks.message(9002, "It's me", by: .customer, createdAt: 1_778_663_750, status: "pending", updatedAt: 1_778_663_750.1)
        let other = try JSONSerialization.data(withJSONObject: recontact(try JSONSerialization.jsonObject(with: Data(body))))
        Projector.apply(try event(2, [UInt8](other)), to: &state)
        #expect(state.contact?.id == 43)
        #expect(!state.authenticated)
        #expect(state.slots == ["order_number": "AB-10001"], "conversation slots stay; the previous contact's go")
    }
}
