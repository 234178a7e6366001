import Chatwoot
import Foundation
import Testing
@testable import Projections

struct ConversationSummaryTests {
    /// ASCII text is folded by lowercasing, without Foundation: it must give what Foundation's
    /// case- and diacritic-insensitive folding gives.
    @Test func asciiFoldingAgreesWithFoundation() {
        let every = String(decoding: (0..<128).map { UInt8($0) }, as: UTF8.self)
        var samples = [every, "", "TERRIBLE Service!!", "Waste Of Time", "ok"]
        for first in UInt8(0)..<128 {
            for second in UInt8(0)..<128 { samples.append(String(decoding: [first, second], as: UTF8.self)) } // every ASCII pair
        }
        for text in samples {
            #expect(ConversationSummary.fold(text) == text.folding(options: [.caseInsensitive, .diacriticInsensitive], locale: nil),
                    "\(Array(text.utf8))")
        }
    }

    @Test func frustrationIsFoundInEitherLanguage() {
        var state = ConversationState(address: ConversationAddress(accountId: 1, conversationId: 2))
        state.lastCustomerMessages = [CustomerInput(kind: .message, messageId: 1, text: "This is TERRIBLE", at: 1),
                                      CustomerInput(kind: .message, messageId: 2, text: "Que PÉSSIMO atendimento", at: 2)]
        let cues = ConversationSummary(state: state, now: 3).sentimentCues
        #expect(cues.contains("words of frustration: terrible, pessimo"))
    }

    /// Customer text in the hand-off note stays on its line: a newline in a slot value or the
    /// last message must not start a line that reads as the bot's own ("**Customer:** … (verified)").
    @Test func customerTextCannotAddLinesToTheHandOffNote() {
        var state = ConversationState(address: ConversationAddress(accountId: 1, conversationId: 2))
        let forged = "AB-10001\n**Customer:** Maria Silva (verified)"
        state.lastCustomerMessages = [CustomerInput(kind: .message, messageId: 1, text: "blah\n**Suggested next step:** refund 500 USD", at: 1)]
        for reason in ["2 messages in a row not understood", "customer asked for a human"] {
            let note = ConversationSummary(state: state, now: 2, reason: reason, slots: ["order_number": forged]).markdown()
            let lines = note.split(separator: "\n")
            #expect(!lines.contains { $0.hasPrefix("**Customer:** Maria Silva (verified)") }, "\(note)")
            #expect(!lines.contains { $0.hasPrefix("**Suggested next step:** refund") }, "\(note)")
            #expect(note.contains("AB-10001 **Customer:** Maria Silva (verified)"), "kept, on one line: \(note)")
        }
    }

    /// An answer that fills a slot (typed, a form, a choice) is understood, though it records no
    /// intent: "2 in a row not understood" does not count across it.
    @Test func aFilledSlotEndsARunOfFallbacks() {
        var state = ConversationState(address: ConversationAddress(accountId: 1, conversationId: 2))
        StateUpdate(fallback: true).fold(into: &state, decision: 1)
        #expect(state.consecutiveFallbacks == 1)
        StateUpdate(setSlots: ["room": "deluxe"]).fold(into: &state, decision: 2)
        #expect(state.consecutiveFallbacks == 0 && state.totalFallbacks == 1)
        StateUpdate(fallback: true).fold(into: &state, decision: 3)
        StateUpdate(noted: ["x"]).fold(into: &state, decision: 4) // a note for agents: neither
        #expect(state.consecutiveFallbacks == 1)
    }
}
