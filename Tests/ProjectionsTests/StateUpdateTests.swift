import Chatwoot
import Testing
@testable import Projections

@Suite struct StateUpdateTests {
    @Test func writesAndReadsTheConvention() {
        let update = StateUpdate(intent: IntentScore(name: "track_order", confidence: 0.92), setSlots: ["order_number": "A-10023"],
                                 clearSlots: ["topic"], authenticated: true, fallback: false)
        let explanation = update.apply(to: ["rule": "order-status", "nlu": ["ranking": []]])
        #expect(explanation == [
            "rule": "order-status", "nlu": ["ranking": []],
            "intent": ["name": "track_order", "confidence": 0.92],
            "slots": ["set": ["order_number": "A-10023"], "clear": ["topic"]],
            "authenticated": true, "fallback": false,
        ])
        #expect(StateUpdate(explanation: explanation) == update)
        #expect(StateUpdate().apply() == [:])
    }

    @Test func readsLeniently() {
        let update = StateUpdate(explanation: [
            "intent": ["name": 3],
            "slots": ["set": ["count": 2, "vip": true, "gone": nil, "list": [1]], "clear": ["b", "a", 7]],
            "authenticated": "yes",
            "fallback": true,
        ])
        #expect(update.intent == nil)
        #expect(update.setSlots == ["count": "2", "vip": "true"])
        #expect(update.clearSlots == ["a", "b", "gone"])
        #expect(update.authenticated == nil)
        #expect(update.fallback == true)
        #expect(StateUpdate(explanation: "not an object") == StateUpdate())
    }

    @Test func foldsFallbacksAndIntents() {
        var state = ConversationState(address: ConversationAddress(accountId: 1, conversationId: 1))
        StateUpdate(fallback: true).fold(into: &state, decision: 1)
        StateUpdate(fallback: true).fold(into: &state, decision: 1)
        #expect(state.consecutiveFallbacks == 2)
        StateUpdate().fold(into: &state, decision: 1) // neither: a timer, a note for agents
        #expect(state.consecutiveFallbacks == 2)
        StateUpdate(intent: IntentScore(name: "greet")).fold(into: &state, decision: 1)
        #expect(state.consecutiveFallbacks == 0 && state.lastIntent == IntentScore(name: "greet"))
    }
}
