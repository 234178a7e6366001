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
}
