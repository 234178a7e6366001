import Chatwoot
import Domain
import Foundation
import Ledger
import LedgerbotTesting
import NLU
import Policy
import Projections
import Reactor
import Testing

/// The reactor is a pure function: its sources use no clock, randomness, environment, files or
/// network, and the same inputs give the same bytes.
@Suite struct ReactorPurityTests {
    /// APIs that would let a decision depend on something other than its inputs.
    static let forbidden = [
        "import Foundation", "import Dispatch", "import AsyncHTTPClient", "import NIO", "Date(", "Date.now", ".random",
        "ProcessInfo", "getenv", "ContinuousClock", "SuspendingClock", "SystemRandomNumberGenerator", "UUID(",
        "URLSession", "FileManager", "FileHandle", "HTTPClient", "Task.sleep", "fopen",
    ]

    @Test func reactorSourcesUseNoClockRandomnessEnvironmentOrIO() throws {
        let directory = fixturesDirectory().deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Sources/Reactor")
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".swift") }
        #expect(files.contains("Reactor.swift") && files.contains("Turn.swift"))
        for file in files {
            let text = try String(contentsOf: directory.appendingPathComponent(file), encoding: .utf8)
            for token in Self.forbidden {
                #expect(!text.contains(token), "\(file) uses \(token)")
            }
        }
    }

    @Test func sameInputsGiveTheSameDecisionBytesEvenFromSeparatelyLoadedPolicies() throws {
        let path = fixturesDirectory().appendingPathComponent("policies/shop-bot.yml").path
        let first = try PolicyLoader.load(path: path)
        let second = try PolicyLoader.load(path: path)
        var body = try chatwootFixture("webhook-message_created-incoming.json")
        body = Array(String(decoding: body, as: UTF8.self).replacingOccurrences(of: "Hi, I need help with my order", with: "where is order AB-10001").utf8)
        let event = LedgerEvent(seq: 42, stream: "1/128", type: EventType.webhookReceived, time: 1_780_000_000_000_000, causation: nil, body: body, meta: [])
        let a = try #require(Reactor.decide(state: nil, event: event, policy: first))
        let b = try #require(Reactor.decide(state: nil, event: event, policy: second))
        let c = try #require(Reactor.decide(state: nil, event: event, policy: first))
        #expect(try a.encoded() == b.encoded())
        #expect(try a.encoded() == c.encoded())
        // It asked for the order lookup, with the idempotency key derived from the input's seq.
        guard case .lookup(let call)? = a.commands.last else {
            Issue.record("expected a lookup, got \(a.commands)")
            return
        }
        #expect(call.name == "order_status")
        #expect(call.url == "${SHOP_API}/orders/AB-10001")
        #expect(a.explanation["awaiting"]?["name"]?.stringValue == "order_status")
    }

    @Test func nonInputsAreNotDecided() throws {
        let policy = try PolicyLoader.load(path: fixturesDirectory().appendingPathComponent("policies/shop-bot.yml").path)
        for fixture in ["webhook-message_created-outgoing.json", "webhook-conversation_status_changed.json",
                        "webhook-conversation_updated.json", "webhook-webwidget_triggered.json"] {
            let event = LedgerEvent(seq: 7, stream: "1/128", type: EventType.webhookReceived, time: 1_780_000_000_000_000,
                                    causation: nil, body: try chatwootFixture(fixture), meta: [])
            #expect(Reactor.decide(state: nil, event: event, policy: policy) == nil, "\(fixture)")
        }
    }

    /// Replay keeps only the inputs `mayReact` accepts, to decide them again with a version that
    /// came up after them: it must accept every event the reactor decides, and it is only worth
    /// having if it turns away the events that just update state.
    @Test func mayReactAcceptsEveryEventTheReactorDecides() throws {
        let policy = try PolicyLoader.load(path: fixturesDirectory().appendingPathComponent("policies/shop-bot.yml").path)
        let fixtures = try FileManager.default.contentsOfDirectory(atPath: fixturesDirectory().appendingPathComponent("chatwoot").path)
            .filter { $0.hasPrefix("webhook-") }.sorted()
        var decided: [String] = [], turnedAway: [String] = []
        for fixture in fixtures {
            let event = LedgerEvent(seq: 7, stream: "1/128", type: EventType.webhookReceived, time: 1_780_000_000_000_000,
                                    causation: nil, body: try chatwootFixture(fixture), meta: [])
            let mayReact = Reactor.mayReact(to: Projector.Input(event))
            if Reactor.decide(state: nil, event: event, policy: policy) != nil {
                decided.append(fixture)
                #expect(mayReact, "\(fixture) is decided but would not be kept")
            }
            if !mayReact { turnedAway.append(fixture) }
        }
        #expect(decided.contains("webhook-message_created-incoming.json"), "\(decided)")
        #expect(decided.contains("webhook-message_updated-input_select-submitted.json"), "\(decided)")
        #expect(Set(turnedAway).isSuperset(of: ["webhook-message_created-outgoing.json", "webhook-conversation_status_changed.json",
                                               "webhook-conversation_updated.json", "webhook-webwidget_triggered.json"]), "\(turnedAway)")
    }

    /// The incoming-message fixture as input `seq` of conversation 1/128, with its own id and text.
    private static func message(_ seq: Seq, id: Int, _ text: String) throws -> LedgerEvent {
        var body = try #require(try JSONSerialization.jsonObject(with: Data(try chatwootFixture("webhook-message_created-incoming.json"))) as? [String: Any])
        body["id"] = id
        body["content"] = text
        return LedgerEvent(seq: seq, stream: "1/128", type: EventType.webhookReceived, time: 1_780_000_000_000_000 + Int64(seq),
                           causation: nil, body: [UInt8](try JSONSerialization.data(withJSONObject: body)), meta: [])
    }

    /// Between the hand-off decision and Chatwoot's status webhook the bot has asked for `open`
    /// (``Projections/ConversationState/requestedStatus``): a customer message in that window gets
    /// no public reply and no second hand-off, as once the status arrives.
    @Test func nothingIsSaidBetweenAHandOffDecisionAndItsStatusChange() throws {
        let policy = try PolicyLoader.load(path: fixturesDirectory().appendingPathComponent("policies/shop-bot.yml").path)
        let address = ConversationAddress(accountId: 1, conversationId: 128)
        var state = ConversationState(address: address)
        let asked = try Self.message(1, id: 9101, "talk to a human")
        let handOff = try #require(Reactor.decide(state: nil, event: asked, policy: policy))
        #expect(handOff.commands.contains { if case .setStatus(.open) = $0 { true } else { false } })
        Projector.apply(asked, to: &state)
        Projector.apply(LedgerEvent(seq: 2, stream: "1/128", type: EventType.decision, time: 1_780_000_000_000_002, causation: 1,
                                    body: try handOff.encoded(), meta: []), to: &state)
        #expect(state.status == .pending && state.requestedStatus?.status == .open, "asked for, not seen yet")
        #expect(state.humanOwns(agentReplySilencesBot: true) && !state.humanOwns(agentReplySilencesBot: true, decision: 2),
                "the hand-off's own reply still goes out")
        for (seq, text) in [(Seq(3), "hello?? anyone"), (4, "talk to a human")] {
            let later = try Self.message(seq, id: 9100 + Int(seq), text)
            let decided = Reactor.decide(state: state, event: later, policy: policy)
            let spoken = decided?.commands.filter(\.isCustomerVisible) ?? []
            #expect(spoken.isEmpty, "\(text): \(spoken)")
            #expect(!(decided?.commands.contains { if case .setStatus(.open) = $0 { true } else { false } } ?? false), "\(text): a second hand-off")
            Projector.apply(later, to: &state)
        }
    }

    /// A Portuguese policy hands off with a Portuguese note: the reason the reactor records stays
    /// English (the audit and the next step read it), the note says it in the policy's language.
    @Test func aPortuguesePolicysHandOffNoteIsPortuguese() throws {
        let examples = fixturesDirectory().deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("examples")
        let policy = try PolicyLoader.load(path: examples.appendingPathComponent("ecommerce-orders.pt-BR.yml").path)
        let decision = try #require(Reactor.decide(state: nil, event: try Self.message(1, id: 9400, "quero falar com um atendente"), policy: policy))
        #expect(decision.explanation.objectValue?["handoff"]?.objectValue?["reason"] == .string("customer asked for a human"))
        let notes = decision.commands.compactMap { if case .sendMessage(let message) = $0, message.isPrivate { message.content } else { nil } }
        #expect(notes.count == 1 && notes[0].hasPrefix("**Transferência do bot** — o cliente pediu um atendente\n"), "\(notes)")
        #expect(notes.first?.contains("**Próximo passo sugerido:** Cumprimente o cliente") == true, "\(notes)")
    }

    /// A message naming two values for one slot ("orders AB-10001 and AB-10002") takes the
    /// first named, as an answer to the slot's question does, and says which it left.
    @Test func twoValuesForOneSlotKeepTheFirstNamed() throws {
        let policy = try PolicyLoader.load(path: fixturesDirectory().appendingPathComponent("policies/shop-bot.yml").path)
        for (text, kept, left) in [("where are orders AB-10001 and AB-10002", "AB-10001", "AB-10002"),
                                   ("where are orders AB-10002 and AB-10001", "AB-10002", "AB-10001")] {
            let decision = try #require(Reactor.decide(state: nil, event: try Self.message(1, id: 9300, text), policy: policy))
            let urls = decision.commands.compactMap { if case .lookup(let call) = $0 { call.url } else { nil } }
            #expect(urls.count == 1 && urls[0].hasSuffix("/orders/\(kept)"), "\(urls)")
            let explanation = try #require(decision.explanation.objectValue)
            #expect(explanation["slots"]?.objectValue?["set"]?.objectValue?["order_number"] == .string(kept))
            let steps = explanation["steps"]?.arrayValue?.compactMap(\.stringValue) ?? []
            #expect(steps.contains("slot order_number: kept the first value named, not \(left)"), "\(steps)")
        }
    }

    /// A message naming thousands of values (64 KB of order numbers) is decided as one naming a
    /// few: the first 32 entities are read, the value left is said once, and the decision stays
    /// small. The work and the recorded decision grew with the square of the count.
    @Test func aMessageNamingThousandsOfValuesIsBounded() throws {
        let policy = try PolicyLoader.load(path: fixturesDirectory().appendingPathComponent("policies/shop-bot.yml").path)
        let text = "where is my order " + (10_000..<17_000).map { "AB-\($0)" }.joined(separator: " ")
        let decision = try #require(Reactor.decide(state: nil, event: try Self.message(1, id: 9301, text), policy: policy))
        let explanation = try #require(decision.explanation.objectValue)
        let entities = explanation["nlu"]?.objectValue?["entities"]?.arrayValue ?? []
        #expect(entities.count == EntityExtractor.limit, "\(entities.count)")
        let steps = explanation["steps"]?.arrayValue?.compactMap(\.stringValue) ?? []
        #expect(steps.filter { $0.contains("kept the first value named") } == ["slot order_number: kept the first value named, not AB-10001"], "\(steps.count) steps")
        #expect(try decision.encoded().count < 16_384)
        let urls = decision.commands.compactMap { if case .lookup(let call) = $0 { call.url } else { nil } }
        #expect(urls.count == 1 && urls[0].hasSuffix("/orders/AB-10000"), "\(urls)")
    }

    /// A waiting timer set by a hand-off the agent has since handed back says nothing when it
    /// fires during a later hand-off (it spoke of the new one too early); the later hand-off's
    /// own timer does.
    @Test func aWaitingTimerOfAnEarlierHandOffSaysNothing() throws {
        let source = try String(contentsOf: fixturesDirectory().appendingPathComponent("policies/shop-bot.yml"), encoding: .utf8)
        let yaml = source.replacingOccurrences(of: "monitoring:\n", with: "monitoring:\n  - waiting: 10m\n    note: \"Waited {{minutes}} min.\"\n")
        let policy = try PolicyLoader.load(yaml: yaml)
        let minute: Int64 = 60_000_000
        var state = ConversationState(address: ConversationAddress(accountId: 1, conversationId: 128))
        state.transitions = [StatusTransition(from: nil, to: .pending, at: 0, cause: nil, seq: 1),
                             StatusTransition(from: .pending, to: .open, at: minute, cause: nil, seq: 12),  // hand-off decided at seq 10
                             StatusTransition(from: .open, to: .pending, at: 2 * minute, cause: nil, seq: 20), // handed back
                             StatusTransition(from: .pending, to: .open, at: 5 * minute, cause: nil, seq: 32)] // handed off again at seq 30
        state.status = .open
        state.handoffAt = 5 * minute
        func notes(firedBy decision: Seq) throws -> [String] {
            let fired = TimerFired(name: "wait:0", dueAt: 10 * minute, decision: decision, command: 0)
            let event = LedgerEvent(seq: 40, stream: "1/128", type: EventType.timerFired, time: 10 * minute, causation: decision, body: try fired.encoded())
            let decision = Reactor.decide(state: state, event: event, policy: policy)
            return decision?.commands.compactMap { if case .sendMessage(let message) = $0, message.isPrivate { message.content } else { nil } } ?? []
        }
        #expect(try notes(firedBy: 10) == [])
        #expect(try notes(firedBy: 30) == ["Waited 5 min."])
        // Snoozed and back is still the same hand-off: its timer speaks.
        state.transitions = [StatusTransition(from: nil, to: .pending, at: 0, cause: nil, seq: 1),
                             StatusTransition(from: .pending, to: .open, at: minute, cause: nil, seq: 12),
                             StatusTransition(from: .open, to: .snoozed, at: 3 * minute, cause: nil, seq: 20),
                             StatusTransition(from: .snoozed, to: .open, at: 6 * minute, cause: nil, seq: 24)]
        state.handoffAt = minute
        #expect(try notes(firedBy: 10) == ["Waited 9 min."])
    }

    /// A second message while a lookup is on its way (a repeat, a double tap) does not ask it
    /// again — for an action that would be a second booking under a new key — and a question
    /// answered meanwhile does not drop the wait, so the first answer still continues the turn.
    @Test func aLookupOnItsWayIsNotAskedAgain() throws {
        let policy = try PolicyLoader.load(path: fixturesDirectory().appendingPathComponent("policies/shop-bot.yml").path)
        func lookups(_ decision: Decision?) -> [String] {
            decision?.commands.compactMap { if case .lookup(let call) = $0 { call.name } else { nil } } ?? []
        }
        var state: ConversationState?
        var seq: Seq = 0
        func turn(_ text: String) throws -> Decision? {
            seq += 1
            let input = try Self.message(seq, id: 9200 + Int(seq), text)
            let decided = Reactor.decide(state: state, event: input, policy: policy)
            var folded = state ?? ConversationState(address: ConversationAddress(accountId: 1, conversationId: 128))
            Projector.apply(input, to: &folded)
            if let decided {
                seq += 1
                Projector.apply(LedgerEvent(seq: seq, stream: "1/128", type: EventType.decision, time: input.time + 1, causation: input.seq,
                                            body: try decided.encoded(), meta: []), to: &folded)
            }
            state = folded
            return decided
        }
        #expect(lookups(try turn("where is order AB-10001")) == ["order_status"])
        #expect(state?.awaiting?.kind == .lookup)
        let asking = try #require(state?.awaiting?.decision)
        #expect(lookups(try turn("where is order AB-10001")) == [], "asked once")
        #expect(state?.awaiting?.decision == asking, "the wait still names the decision that asked, which its answer names")
        _ = try turn("hi")
        #expect(state?.awaiting?.kind == .lookup && state?.awaiting?.name == "order_status", "still awaited after another question")
        // The answer to the first asking continues the turn.
        seq += 1
        let result = EffectResult(decision: asking, command: 0, kind: "lookup", outcome: .ok, status: 200, attempts: 1, latencyMilliseconds: 3,
                                  data: .object(["lookup": "order_status", "found": true, "fields": .object(["status": "shipped", "eta": "2026-12-02"])]))
        let answer = LedgerEvent(seq: seq, stream: "1/128", type: EventType.effectResult, time: 1_778_663_800_000_000, causation: asking,
                                 body: try result.encoded(), meta: [])
        let decided = Reactor.decide(state: state, event: answer, policy: policy)
        let reply = try #require(decided, "the answer is read")
        #expect(reply.commands.contains { if case .sendMessage(let message) = $0 { message.content?.hasPrefix("Order AB-10001 is shipped") == true } else { false } },
                "\(reply.commands)")
        // Another order number while it is on its way: asked again, and the first answer (for
        // the old number, which the reply would show with the new one) is not used.
        #expect(lookups(try turn("where is order AB-10002")) == ["order_status"])
        let first = Reactor.decide(state: state, event: answer, policy: policy)
        #expect(first == nil, "the answer for AB-10001 is not used once AB-10002 is asked")
    }
}
