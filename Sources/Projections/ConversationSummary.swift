import Chatwoot
import Foundation
import Ledger
import NLU

/// What an agent needs on taking over a conversation, extracted (never generated) from the
/// projected state: deterministic, so the same ledger gives the same summary everywhere.
///
/// Used by the hand-off note (the reactor), `ledgerbot summary`, `GET /api/conversations/{id}/summary`
/// and the Chatwoot dashboard app.
public struct ConversationSummary: Sendable {
    public let state: ConversationState
    /// Earlier conversations of the same contact (any inbox of the account), oldest first.
    public let history: [ConversationState]
    /// The reference time (µs, from an event): how long the customer has waited.
    public let now: Int64
    /// Overrides for a hand-off being decided now (its reason, slots and intent are not folded yet).
    public var reason: String?
    public var slots: [String: String]
    public var authenticated: Bool
    public var currentIntent: IntentScore?
    /// Consecutive fallbacks including the input being decided.
    public var fallbacks: Int

    public init(state: ConversationState, history: [ConversationState] = [], now: Int64, reason: String? = nil,
                slots: [String: String]? = nil, authenticated: Bool? = nil, intent: IntentScore? = nil, fallbacks: Int? = nil) {
        self.fallbacks = fallbacks ?? state.consecutiveFallbacks
        self.state = state
        self.history = history
        self.now = now
        self.reason = reason ?? state.handoffReason
        self.slots = slots ?? state.slots
        self.authenticated = authenticated ?? state.authenticated
        currentIntent = intent
    }

    // MARK: - Facts

    public var intents: [IntentScore] {
        var all = state.intentHistory
        if let currentIntent, all.last?.name != currentIntent.name { all.append(currentIntent) }
        return all
    }

    /// Slots by their plain name (contact-scoped ones without `contact.`), sorted.
    public var collected: [(name: String, value: String)] {
        slots.keys.sorted().map { key in
            (key.hasPrefix(ConversationState.contactSlotPrefix) ? String(key.dropFirst(ConversationState.contactSlotPrefix.count)) : key, slots[key]!)
        }
    }

    /// Since when the customer has been waiting for a human: the hand-off while a human owns the
    /// conversation; else since it last came to the bot (created, handed back, reopened) or their
    /// first message, whichever is later — a hand-off of an earlier visit is not this wait.
    public var waitingSince: Int64? {
        if state.status == .open {
            // Since it came to the agents this visit (a reopen straight to open leaves the hand-off
            // time of an earlier visit); a snooze ending is not a new wait.
            let cameToAgents = state.transitions.last { $0.to == .open && $0.from != .snoozed }?.at
            if let since = [state.handoffAt, cameToAgents].compactMap({ $0 }).max() { return since }
        }
        let backToTheBot = state.transitions.last { $0.to == .pending }?.at
        return [backToTheBot, state.firstCustomerMessageAt].compactMap { $0 }.max()
    }

    /// Signs the customer is unhappy, in words an agent can act on.
    public var sentimentCues: [String] { sentimentCues(Wording.english) }

    func sentimentCues(_ words: Wording) -> [String] {
        var cues: [String] = []
        if fallbacks >= 2 { cues.append(words.notUnderstood(fallbacks, inARow: true)) } else if state.totalFallbacks >= 2 {
            cues.append(words.notUnderstood(state.totalFallbacks, inARow: false))
        }
        let texts = state.lastCustomerMessages.map(\.text)
        let folded = texts.map { Self.fold($0) }
        let matched = Self.frustrationWords.filter { word in folded.contains { TextNormalizer.contains($0, phrase: word) } }
        // "ridiculous" also contains "ridiculo": name each finding once.
        let found = matched.filter { word in !matched.contains { $0 != word && $0.contains(word) } }
        if !found.isEmpty { cues.append(words.frustration + ": " + found.prefix(3).joined(separator: ", ")) }
        if texts.contains(where: Self.isShouting) { cues.append(words.capitals) }
        if texts.contains(where: { TextNormalizer.contains($0, phrase: "!!") || TextNormalizer.contains($0, phrase: "??") }) { cues.append(words.punctuation) }
        if state.authFailures > 0 { cues.append(words.failedVerification(state.authFailures)) }
        return cues
    }

    /// A concrete first move for the agent.
    public var suggestedNextStep: String { suggestedNextStep(Wording.english) }

    /// Read from the recorded reason, which the reactor writes in English whatever the policy's language.
    func suggestedNextStep(_ words: Wording) -> String {
        let reason = self.reason ?? ""
        let details = collected.map { "\($0.name) \(Self.oneLine($0.value, limit: 120))" }.joined(separator: ", ")
        if reason.hasPrefix("lookup ") {
            let lookup = reason.split(separator: " ").dropFirst().first.map(String.init) ?? words.theSystem
            return words.checkByHand(lookup, details: details)
        }
        if reason.hasPrefix("authentication failed") { return words.verifyAnotherWay }
        if reason.contains("not understood") {
            let last = state.lastCustomerMessages.last?.text ?? ""
            return words.askWhatTheyNeed + (last.isEmpty ? "" : ": \"\(Self.oneLine(last, limit: 120))\"") + "."
        }
        if reason.contains("outside business hours") { return words.answerWhenBack }
        if let intent = intents.last(where: { !Self.smallTalk.contains($0.name) }) {
            return words.helpWith(intent.name.replacingOccurrences(of: "_", with: " ")) + (collected.isEmpty ? "." : " (\(words.collectedInline): \(details)).")
        }
        return words.greet
    }

    // MARK: - Renderings

    /// Markdown-light for a Chatwoot private note (bold labels, quotes). Labels follow the
    /// policy's language (`en`, `pt…`); the facts are shown as recorded.
    public func markdown(policy: String? = nil, language: String = "en") -> String {
        let label = Wording(language: language)
        var lines: [String] = ["**\(label.handoff)** — \(reason.map(label.reason) ?? label.noHandoff)"]
        lines.append("**\(label.customer):** " + customerLine(label))
        if !intents.isEmpty { lines.append("**\(label.wants):** " + intents.map(Self.describe).joined(separator: " → ")) }
        // Customer text stays on its line: a newline in it could start a line that reads as the bot's ("(verified)").
        if !collected.isEmpty { lines.append("**\(label.collected):** " + collected.map { "\($0.name): \(Self.oneLine($0.value, limit: 120))" }.joined(separator: ", ")) }
        for (name, found, fields) in lookupLines {
            lines.append("**\(label.lookedUp) \(name):** " + (found ? fields : label.notFound))
        }
        if let told = state.lastBotMessages.last { lines.append("**\(label.botSaid):** " + Self.oneLine(told, limit: 200)) }
        if let since = waitingSince, now > since { lines.append("**\(label.waiting):** \(Self.duration(micros: now - since))") }
        let cues = sentimentCues(label)
        if !cues.isEmpty { lines.append("**\(label.watchOut):** " + cues.joined(separator: "; ")) }
        if !history.isEmpty {
            lines.append("**\(label.earlier):** " + historyLine(label))
        } else if let earlier = state.earlierConversations, !earlier.isEmpty {
            let open = earlier.filter(\.isUnresolved).map { "#\($0.conversationId)" }
            lines.append("**\(label.earlier):** \(earlier.count)" + (open.isEmpty ? "" : " (\(label.unresolved): " + open.joined(separator: ", ") + ")"))
        }
        let messages = state.lastCustomerMessages.suffix(3).filter { !$0.text.isEmpty }
        if !messages.isEmpty {
            lines.append("**\(label.lastMessages):**")
            for input in messages { lines.append("> " + Self.oneLine(input.text, limit: 300)) }
        }
        lines.append("**\(label.nextStep):** " + suggestedNextStep(label))
        if let policy { lines.append("_\(policy)_") }
        return lines.joined(separator: "\n")
    }

    /// Plain text for the terminal.
    public var text: String {
        markdown().replacingOccurrences(of: "**", with: "").replacingOccurrences(of: "\n> ", with: "\n  > ")
    }

    public var json: JSONValue {
        var customer: [String: JSONValue] = ["verified": .bool(authenticated)]
        if let name = state.contact?.name { customer["name"] = .string(name) }
        if let email = state.contact?.email ?? slots["contact.email"] { customer["email"] = .string(email) }
        if let phone = state.contact?.phone { customer["phone"] = .string(phone) }
        if let id = state.contact?.id { customer["id"] = .int(id) }
        return .object([
            "account": .int(state.address.accountId), "conversation": .int(state.address.conversationId),
            "status": state.status.map { .string($0.rawValue) } ?? .null,
            "customer": .object(customer),
            "intents": .array(intents.map { .object(["name": .string($0.name), "confidence": $0.confidence.map(JSONValue.double) ?? .null]) }),
            "collected": .object(Dictionary(collected.map { ($0.name, JSONValue.string($0.value)) }, uniquingKeysWith: { $1 })),
            "lookups": .object(state.lookups),
            "bot_last_said": .array(state.lastBotMessages.map(JSONValue.string)),
            "handoff_reason": reason.map(JSONValue.string) ?? .null,
            "handoff_at": state.handoffAt.map { .string(Timestamp.iso8601(micros: $0)) } ?? .null,
            // Only while a human owns the conversation: that is when somebody is waiting for an agent.
            "waiting_seconds": state.status == .open ? waitingSince.map { .int(Int(max(0, now - $0) / 1_000_000)) } ?? .null : .null,
            "last_customer_messages": .array(state.lastCustomerMessages.map { .string($0.text) }),
            "sentiment_cues": .array(sentimentCues.map(JSONValue.string)),
            "suggested_next_step": .string(suggestedNextStep),
            "history": .array(history.map { earlier in
                .object(["conversation": .int(earlier.address.conversationId),
                         "started": (earlier.createdAt ?? earlier.firstCustomerMessageAt).map { .string(Timestamp.iso8601(micros: $0)) } ?? .null,
                         "intents": .array(earlier.intentHistory.map { .string($0.name) }),
                         "outcome": .string(Self.outcome(of: earlier)),
                         "handoff_reason": earlier.handoffReason.map(JSONValue.string) ?? .null])
            }),
        ])
    }

    // MARK: - Helpers

    private func customerLine(_ label: Wording) -> String {
        var who: [String] = []
        if let name = state.contact?.name { who.append(name) }
        if let email = state.contact?.email ?? slots["contact.email"] ?? slots["email"] { who.append(email) }
        if let phone = state.contact?.phone { who.append(phone) }
        return (who.isEmpty ? label.unknown : who.joined(separator: " · ")) + " (\(authenticated ? label.verified : label.notVerified))"
    }

    /// The note's words in the policy's language (English, or Portuguese for `pt…`): labels,
    /// the reactor's hand-off reasons, cues, next steps and outcomes. Facts (names, values, the
    /// customer's words, a policy's own hand-off reason) are shown as recorded.
    public struct Wording: Sendable {
        static let english = Wording(language: "en")

        let portuguese: Bool
        var handoff = "Bot hand-off", noHandoff = "no hand-off yet", customer = "Customer", wants = "Wants", collected = "Collected"
        var lookedUp = "Looked up", notFound = "not found", botSaid = "Bot last said", waiting = "Waiting", watchOut = "Watch out"
        var earlier = "Earlier conversations", lastMessages = "Last messages", nextStep = "Suggested next step", unknown = "unknown"
        var verified = "verified by the bot", notVerified = "not verified"
        var frustration = "words of frustration", capitals = "writes in capitals", punctuation = "repeated punctuation"
        var theSystem = "the system", verifyAnotherWay = "Verify the customer's identity another way before sharing account data."
        var askWhatTheyNeed = "Ask what they need; the bot could not classify"
        var answerWhenBack = "Answer when the team is back; the customer was told the opening hours."
        var greet = "Greet the customer and ask how you can help.", collectedInline = "collected"
        var about = "about", last = "last", unresolved = "unresolved"
        /// "hand-off" inside a line (`#12 (open, hand-off: …)`).
        public private(set) var handoffInline = "hand-off"

        public init(language: String) {
            portuguese = language.lowercased().hasPrefix("pt")
            guard portuguese else { return }
            (handoff, noHandoff, customer, wants, collected) = ("Transferência do bot", "sem transferência", "Cliente", "Quer", "Coletado")
            (lookedUp, notFound, botSaid, waiting, watchOut) = ("Consultado", "não encontrado", "O bot disse por último", "Esperando", "Atenção")
            (earlier, lastMessages, nextStep, unknown) = ("Conversas anteriores", "Últimas mensagens", "Próximo passo sugerido", "desconhecido")
            (verified, notVerified) = ("verificado pelo bot", "não verificado")
            (frustration, capitals, punctuation) = ("palavras de frustração", "escreve em maiúsculas", "pontuação repetida")
            (theSystem, verifyAnotherWay) = ("o sistema", "Verifique a identidade do cliente de outra forma antes de compartilhar dados da conta.")
            askWhatTheyNeed = "Pergunte do que o cliente precisa; o bot não conseguiu classificar"
            answerWhenBack = "Responda quando a equipe voltar; o cliente foi informado do horário de atendimento."
            (greet, collectedInline) = ("Cumprimente o cliente e pergunte como pode ajudar.", "coletado")
            (about, last, handoffInline, unresolved) = ("sobre", "última", "transferência", "não resolvidas")
        }

        func notUnderstood(_ count: Int, inARow: Bool) -> String {
            portuguese ? "o bot não entendeu \(count) mensagens" + (inARow ? " seguidas" : "")
                       : "the bot did not understand \(count) messages" + (inARow ? " in a row" : "")
        }

        func failedVerification(_ count: Int) -> String {
            portuguese ? "falhou na verificação \(count) \(count == 1 ? "vez" : "vezes")" : "failed verification \(count) time(s)"
        }

        func checkByHand(_ lookup: String, details: String) -> String {
            portuguese ? "O bot não conseguiu acessar \(lookup): verifique manualmente" + (details.isEmpty ? "." : " para \(details).")
                       : "The bot could not reach \(lookup): check it by hand" + (details.isEmpty ? "." : " for \(details).")
        }

        func helpWith(_ intent: String) -> String { portuguese ? "Ajude com \(intent)" : "Help with \(intent)" }

        /// A hand-off reason as the reactor records it (always English: the next step is read
        /// from it), in the note's language; a policy's own reason is its author's words.
        public func reason(_ recorded: String) -> String {
            guard portuguese else { return recorded }
            let words = recorded.split(separator: " ").map(String.init)
            switch recorded {
            case "outside business hours": return "fora do horário de atendimento"
            case "customer asked for a human": return "o cliente pediu um atendente"
            default: break
            }
            if words.count == 3, words[0] == "lookup", words[2] == "failed" { return "a consulta \(words[1]) falhou" }
            if words.count == 4, words[0] == "NLU", words[1] == "service", words[3] == "unavailable" { return "serviço de NLU \(words[2]) indisponível" }
            if words.count == 4, recorded.hasPrefix("authentication failed "), words[3] == "times", let count = Int(words[2]) {
                return "a verificação falhou \(count) \(count == 1 ? "vez" : "vezes")"
            }
            if recorded.hasSuffix(" not understood"), let count = words.first.flatMap(Int.init), words.count >= 4 {
                let noun = words[1].hasPrefix("answer") ? (count == 1 ? "resposta" : "respostas") : (count == 1 ? "mensagem" : "mensagens")
                return "\(count) \(noun)" + (recorded.contains(" in a row ") ? " seguidas" : "") + " não " + (count == 1 ? "entendida" : "entendidas")
            }
            return recorded
        }

        /// A conversation status as the note names it.
        public func status(_ status: ConversationStatus?) -> String {
            guard let status else { return "?" }
            guard portuguese else { return status.rawValue }
            return switch status {
            case .open: "aberta"
            case .pending: "pendente"
            case .resolved: "resolvida"
            case .snoozed: "adiada"
            default: status.rawValue
            }
        }

        /// Whether a human owned the conversation in its last visit (since the resolution before
        /// the last one): a hand-off of an earlier visit does not make this one an agent's.
        static func anAgentTookPart(_ state: ConversationState) -> Bool {
            state.transitions.reversed().drop { $0.to == .resolved }.prefix { $0.to != .resolved }.contains { $0.to == .open }
        }

        func outcome(of state: ConversationState) -> String {
            switch state.status {
            case .resolved?: Self.anAgentTookPart(state) ? (portuguese ? "resolvida por um atendente" : "resolved by an agent")
                                                         : (portuguese ? "resolvida pelo bot" : "resolved by the bot")
            case .open?: portuguese ? "aberta com um atendente" : "open with an agent"
            case .pending?: portuguese ? "com o bot" : "with the bot"
            case .snoozed?: portuguese ? "adiada" : "snoozed"
            default: unknown
            }
        }
    }

    private var lookupLines: [(String, Bool, String)] {
        state.lookups.keys.sorted().compactMap { name in
            guard let answer = state.lookups[name] else { return nil }
            let fields = (answer["fields"]?.objectValue ?? [:]).keys.sorted().compactMap { key -> String? in
                answer["fields"]?[key]?.scalarText.map { "\(key)=\($0)" }
            }
            return (name, answer["found"]?.boolValue == true, fields.joined(separator: ", "))
        }
    }

    private func historyLine(_ words: Wording) -> String {
        let last = history.last.map { "\(words.last): \(words.outcome(of: $0))" + ($0.handoffReason.map { ", \(words.handoffInline): \(words.reason($0))" } ?? "") } ?? ""
        let intents = Array(Set(history.flatMap { $0.intentHistory.map(\.name) })).sorted().prefix(5).joined(separator: ", ")
        return "\(history.count)" + (intents.isEmpty ? "" : " (\(words.about) \(intents))") + (last.isEmpty ? "" : "; " + last)
    }

    static func outcome(of state: ConversationState) -> String { Wording.english.outcome(of: state) }

    static func describe(_ intent: IntentScore) -> String {
        // Clamped: a confidence an external service sent (1e300, NaN) must not trap the conversion.
        intent.name + (intent.confidence.map { " (\($0.isFinite ? Int((min(max($0, 0), 1) * 100).rounded()) : 0)%)" } ?? "")
    }

    static func oneLine(_ text: String, limit: Int) -> String {
        let flat = String(text.map { $0.isNewline ? " " : $0 })
        return flat.count > limit ? String(flat.prefix(limit - 1)) + "…" : flat
    }

    static func duration(micros: Int64) -> String {
        let seconds = micros / 1_000_000
        if seconds < 60 { return "\(seconds) s" }
        if seconds < 3600 { return "\(seconds / 60) min" }
        return "\(seconds / 3600) h \((seconds % 3600) / 60) min"
    }

    /// Whether an intent says nothing about what the customer needs (greetings, thanks…).
    public static func isSmallTalk(_ intent: String) -> Bool { smallTalk.contains(intent) }

    /// Intents that say nothing about what the customer needs.
    static let smallTalk: Set<String> = ["greet", "goodbye", "thanks", "human", "affirm", "deny", "chitchat"]

    static let frustrationWords = ["ridiculous", "terrible", "useless", "worst", "angry", "annoyed", "unacceptable", "frustrat", "waste of time",
                                   "absurdo", "pessimo", "ridiculo", "raiva", "irritad", "inaceitavel", "descaso", "palhacada"]

    /// Case and accents folded; ASCII text (no accents) only needs lowercasing, without Foundation.
    static func fold(_ text: String) -> String {
        if text.utf8.allSatisfy({ $0 < 0x80 }) { return text.lowercased() }
        return text.folding(options: [.caseInsensitive, .diacriticInsensitive], locale: nil)
    }

    static func isShouting(_ text: String) -> Bool {
        let letters = text.unicodeScalars.filter { $0.properties.isAlphabetic }
        guard letters.count >= 8 else { return false }
        return Double(letters.filter { $0.properties.isUppercase }.count) / Double(letters.count) > 0.7
    }
}
