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
    /// A conversation handed off last week, resolved, reopened today and handed off again: the
    /// customer has waited since today's visit began, not since last week's hand-off.
    @Test func theWaitIsThisVisitsNotAnEarlierHandOffs() {
        let minute: Int64 = 60_000_000, week = 7 * 24 * 60 * minute
        var state = ConversationState(address: ConversationAddress(accountId: 1, conversationId: 2))
        state.firstCustomerMessageAt = 0
        state.transitions = [StatusTransition(from: nil, to: .pending, at: 0, cause: nil, seq: 1),
                             StatusTransition(from: .pending, to: .open, at: minute, cause: nil, seq: 3),
                             StatusTransition(from: .open, to: .resolved, at: 10 * minute, cause: nil, seq: 5),
                             StatusTransition(from: .resolved, to: .pending, at: week, cause: nil, seq: 7)]
        state.status = .pending
        state.handoffAt = minute
        let summary = ConversationSummary(state: state, now: week + 3 * minute, reason: "customer asked for a human")
        #expect(summary.waitingSince == week)
        #expect(summary.markdown().contains("3 min") && !summary.markdown().contains("168"), "\(summary.markdown())")
        // While a human owns it, the wait is since the hand-off.
        state.status = .open
        state.handoffAt = week + minute
        #expect(ConversationSummary(state: state, now: week + 3 * minute).waitingSince == week + minute)
        // Reopened straight to open: since then, not since the earlier visit's hand-off.
        state.transitions.removeLast()
        state.transitions.append(StatusTransition(from: .resolved, to: .open, at: week, cause: nil, seq: 7))
        state.handoffAt = minute
        #expect(ConversationSummary(state: state, now: week + 3 * minute).waitingSince == week)
    }

    /// A visit the bot resolved alone is the bot's, though an earlier visit was handed off.
    @Test func theOutcomeIsTheLastVisits() {
        var state = ConversationState(address: ConversationAddress(accountId: 1, conversationId: 2))
        state.transitions = [StatusTransition(from: nil, to: .pending, at: 0, cause: nil, seq: 1),
                             StatusTransition(from: .pending, to: .open, at: 1, cause: nil, seq: 2),
                             StatusTransition(from: .open, to: .resolved, at: 2, cause: nil, seq: 3)]
        state.status = .resolved
        #expect(ConversationSummary.outcome(of: state) == "resolved by an agent")
        state.transitions += [StatusTransition(from: .resolved, to: .pending, at: 3, cause: nil, seq: 4),
                              StatusTransition(from: .pending, to: .resolved, at: 4, cause: nil, seq: 5)]
        #expect(ConversationSummary.outcome(of: state) == "resolved by the bot")
        state.transitions += [StatusTransition(from: .resolved, to: .open, at: 5, cause: nil, seq: 6),
                              StatusTransition(from: .open, to: .resolved, at: 6, cause: nil, seq: 7)]
        #expect(ConversationSummary.outcome(of: state) == "resolved by an agent")
    }

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

    /// A note for a Portuguese policy is Portuguese throughout: the reactor's hand-off reasons
    /// (recorded in English, which the next step is read from), the cues, the next step and the
    /// earlier conversations; a policy's own reason is shown as its author wrote it.
    @Test func aPortugueseNoteHasNoEnglishReasonsCuesOrSteps() {
        let words = ConversationSummary.Wording(language: "pt-BR")
        let reasons = [
            ("outside business hours", "fora do horário de atendimento"), ("customer asked for a human", "o cliente pediu um atendente"),
            ("1 answer not understood", "1 resposta não entendida"), ("3 answers in a row not understood", "3 respostas seguidas não entendidas"),
            ("1 message not understood", "1 mensagem não entendida"), ("2 messages in a row not understood", "2 mensagens seguidas não entendidas"),
            ("NLU service rasa unavailable", "serviço de NLU rasa indisponível"), ("lookup order_status failed", "a consulta order_status falhou"),
            ("authentication failed 3 times", "a verificação falhou 3 vezes"), ("dúvida sobre pedido", "dúvida sobre pedido"),
        ]
        for (recorded, portuguese) in reasons {
            #expect(words.reason(recorded) == portuguese)
            #expect(ConversationSummary.Wording(language: "en").reason(recorded) == recorded)
        }

        var state = ConversationState(address: ConversationAddress(accountId: 1, conversationId: 2))
        state.lastCustomerMessages = [CustomerInput(kind: .message, messageId: 1, text: "QUE PÉSSIMO ATENDIMENTO!!", at: 1)]
        state.totalFallbacks = 2
        state.authFailures = 1
        var earlier = ConversationState(address: ConversationAddress(accountId: 1, conversationId: 1))
        earlier.status = .resolved
        earlier.handoffReason = "lookup order_status failed"
        earlier.intentHistory = [IntentScore(name: "track_order", confidence: 0.9)]
        let english = ["the bot", "messages", "capitals", "punctuation", "verification", "hand-off", "about", "last:", "resolved", "check it", "Greet",
                       "Help with", "Ask what", "Answer when", "Verify", "not understood", "failed", "outside", "asked for"]
        for (reason, step) in [("lookup order_status failed", "O bot não conseguiu acessar order_status: verifique manualmente para order_number AB-1."),
                               ("authentication failed 3 times", "Verifique a identidade do cliente de outra forma antes de compartilhar dados da conta."),
                               ("2 messages in a row not understood", "Pergunte do que o cliente precisa; o bot não conseguiu classificar: \"QUE PÉSSIMO ATENDIMENTO!!\"."),
                               ("outside business hours", "Responda quando a equipe voltar; o cliente foi informado do horário de atendimento."),
                               ("customer asked for a human", "Cumprimente o cliente e pergunte como pode ajudar.")] {
            let summary = ConversationSummary(state: state, history: [earlier], now: 2, reason: reason, slots: ["order_number": "AB-1"])
            let note = summary.markdown(language: "pt-BR")
            #expect(note.contains("**Próximo passo sugerido:** " + step), "\(note)")
            #expect(note.contains("o bot não entendeu 2 mensagens; palavras de frustração: pessimo; escreve em maiúsculas; pontuação repetida; falhou na verificação 1 vez"), "\(note)")
            #expect(note.contains("**Conversas anteriores:** 1 (sobre track_order); última: resolvida pelo bot, transferência: a consulta order_status falhou"), "\(note)")
            let leftover = english.filter { word in note.split(separator: "\n").contains { $0.contains(word) } }
            #expect(leftover.isEmpty, "English left in: \(note)")
            // The English note and the API's JSON stay English.
            #expect(summary.markdown().contains("**Suggested next step:**") && summary.suggestedNextStep.hasPrefix(step.hasPrefix("O bot") ? "The bot" : ""))
        }
    }
}
