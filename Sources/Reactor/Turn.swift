import Chatwoot
import Domain
import Ledger
import NLU
import Policy
import Projections

/// One decision being built: the commands, what changes in the bot's memory, and why.
///
/// The steps read like the bot's behaviour: ``handle(_:)`` routes the input; a message goes
/// through hours → "talk to a human" → the awaited slot → NLU → the intent's rule; a lookup
/// result resumes the rule that asked for it. Every branch leaves a `rule` and `steps` in the
/// explanation, so the audit can say why.
struct Turn {
    let policy: Policy
    let state: ConversationState
    let event: LedgerEvent

    private var commands: [Command] = []
    private var update = StateUpdate()
    private var explanation: [String: JSONValue] = [:]
    private var steps: [String] = []
    /// The slots as this turn leaves them (state + what it set), by state key.
    private var slots: [String: String]
    private var authenticated: Bool
    /// The answer this turn is using (`{{result.…}}`).
    private var result: LookupAnswer?
    private var customerText: String?
    /// The input answers a widget of another decision than the one the bot waits on: its own
    /// question (``earlierQuestion``, when the state still knows it) is answered, and the
    /// current one is left waiting.
    private var answeringEarlierQuestion = false
    private var earlierQuestion: Awaiting?
    /// Record a decision without commands: the bot deliberately said nothing (e.g. a note limit).
    private var explainSilence = false
    /// Monitoring notes this turn has posted (``mayPostMonitorNote()``).
    private var monitorNotesThisTurn = 0
    /// Lookups this turn asks for a monitoring note (posted when each answer comes).
    private var monitorLookupsThisTurn = 0

    init(policy: Policy, state: ConversationState, event: LedgerEvent) {
        self.policy = policy
        self.state = state
        self.event = event
        slots = state.slots
        authenticated = state.authenticated
    }

    /// The decision, or nil when nothing is to be done or recorded.
    func decision() -> Decision? {
        guard !commands.isEmpty || !update.isEmpty || explainSilence else { return nil }
        var explanation = self.explanation
        explanation["input_seq"] = .int(Int(event.seq))
        if !steps.isEmpty { explanation["steps"] = .array(steps.map(JSONValue.string)) }
        explanation["policy"] = .string(policy.id)
        return Decision(conversation: state.address, commands: commands, explanation: update.apply(to: .object(explanation)), policy: policy.id)
    }

    // MARK: - Routing

    mutating func handle(_ input: ReactorInput) {
        switch input.kind {
        case .message(let text, let id):
            customerText = text
            explanation["input"] = .object(["kind": "message", "message_id": id.map(JSONValue.int) ?? .null])
            if botMaySpeak {
                respond(to: text, messageId: id, readingOptions: true)
            } else {
                monitor(text)
            }
        case .submission(let answer, let id, let askedBy):
            explanation["input"] = .object(["kind": "submission", "message_id": .int(id)])
            guard botMaySpeak else {
                if case .csat(let response) = answer, let rating = response.rating { update.csat = rating }
                steps.append("widget answer while a human owns the conversation: recorded only")
                return
            }
            // A widget the bot sent before its current question (the customer scrolled back and
            // tapped an old menu) answers that one, not what the bot waits on now.
            if let askedBy, state.awaiting?.decision != askedBy, case let earlier = state.question(askedBy: askedBy), state.awaiting != nil || earlier != nil {
                answeringEarlierQuestion = true
                earlierQuestion = earlier
                update.answeredEarlier = askedBy // recorded even when the state no longer knows that question: not the current one's answer
                if let earlierQuestion {
                    steps.append("answers the bot's earlier question of decision \(askedBy) (\(earlierQuestion.kind.rawValue) \(earlierQuestion.name)), not the one it waits on now")
                } else if state.awaiting != nil {
                    steps.append("answers a widget of decision \(askedBy), not the bot's current question: read without it")
                }
            }
            respond(to: answer)
        case .lookupResult(let effect, let answer):
            explanation["input"] = .object(["kind": "lookup_result", "decision": .int(Int(effect.decision))])
            resume(after: effect, answer: answer)
        case .understood(let effect, let pending):
            explanation["input"] = .object(["kind": "nlu_result", "decision": .int(Int(effect.decision))])
            resume(understanding: effect, pending: pending)
        case .timer(let fired):
            explanation["input"] = .object(["kind": "timer", "name": .string(fired.name), "decision": .int(Int(fired.decision))])
            timerFired(fired)
        }
    }

    /// The option of the bot's last question that `text` names by its title or its value (letter
    /// case, accents and punctuation aside; exactly, for text of symbols only such as "👍"), when
    /// exactly one does. Several named: none, and a step says so.
    private mutating func typedOption(_ text: String, folded: String) -> (item: SelectItem, matchedBy: String)? {
        guard let options = state.offeredOptions, !options.isEmpty else { return nil }
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        func same(_ label: String) -> Bool {
            folded.isEmpty ? !trimmed.isEmpty && label.trimmingCharacters(in: .whitespacesAndNewlines) == trimmed : TextNormalizer.fold(label) == folded
        }
        let named = options.compactMap { item in same(item.title) ? (item, "title") : same(item.value) ? (item, "value") : nil }
        if named.count > 1 { steps.append("the message names \(named.count) options of the bot's last question: read as text") }
        return named.count == 1 ? named[0] : nil
    }

    /// What the input answers: the bot's current question, unless it answers an earlier one.
    private var currentQuestion: Awaiting? {
        answeringEarlierQuestion ? earlierQuestion : state.awaiting
    }

    /// The bot owns the conversation and no human has stepped in (or the policy lets it talk anyway).
    private var botMaySpeak: Bool {
        state.botMaySpeak(agentReplySilencesBot: policy.handoff.silenceOnAgentReply)
    }

    // MARK: - Messages

    /// - Parameter readingOptions: whether the text may name an option of the bot's last question
    ///   (a customer's message); not for the text of an answer already read as one.
    private mutating func respond(to text: String, messageId: Int? = nil, readingOptions: Bool = false) {
        let folded = TextNormalizer.fold(text)
        if let hours = policy.businessHours, hours.outside == .handoff, !hours.isOpen(atMicros: event.time) {
            explanation["rule"] = "business_hours"
            handOff(reason: "outside business hours")
            return
        }
        if let phrase = policy.handoff.phrases.first(where: { TextNormalizer.containsWords(folded, phrase: $0) }) {
            explanation["rule"] = .string("handoff_phrase")
            steps.append("the customer asked for a human (\"\(phrase)\")")
            handOff(reason: "customer asked for a human")
            return
        }
        if readingOptions, let option = typedOption(text, folded: folded) {
            // Outside the widget an option comes back as a message: the same as its click.
            explanation["option"] = .object(["title": .string(option.item.title), "value": .string(option.item.value),
                                             "matched_by": .string(option.matchedBy)])
            steps.append("the message names option '\(option.item.title)' of the bot's last question")
            respond(to: .selection(SubmittedValue(title: option.item.title, value: option.item.value)))
            return
        }
        let understanding = understand(text)
        if let awaiting = currentQuestion, awaiting.kind == .slot, let spec = policy.slots[awaiting.name] {
            // The answer itself, else an entity of the slot's kind in it (synonyms: "tech" → technology).
            let policy = self.policy, time = event.time
            let fromEntity = understanding.entities.filter { $0.entity == spec.entity }.compactMap { policy.value(of: spec, in: $0.value, at: time) }.first
            if let value = policy.value(of: spec, in: text, at: event.time) ?? fromEntity {
                setSlot(spec, value)
                steps.append("filled slot \(spec.name) from the answer")
                update.awaiting = .some(nil)
                continueAfterSlot(awaiting)
                return
            }
            // A confident, different request wins over an answer that does not fit.
            if let intent = understanding.intent, intent.name != awaiting.intent {
                steps.append("answer did not fit slot \(spec.name); the customer asked something else")
                update.awaiting = .some(nil)
                pursue(intent: intent.name, confidence: intent.confidence, entities: understanding.entities)
                return
            }
            if wrongAnswer(to: spec) { return }
            say(spec.prompt)
            steps.append("answer is not a valid \(spec.name); asked again")
            return
        }
        if policy.nlu.external != nil {
            askExternalNLU(text, messageId: messageId)
            return
        }
        if let intent = understanding.intent {
            pursue(intent: intent.name, confidence: intent.confidence, entities: understanding.entities)
        } else {
            fallback()
        }
    }

    /// The message goes to the external NLU service; its recorded answer continues the turn.
    private mutating func askExternalNLU(_ text: String, messageId: Int?) {
        let engine = policy.nlu.engine
        let session = "ledgerbot-\(state.address.accountId)-\(state.address.conversationId)"
        commands.append(.understand(UnderstandRequest(engine: engine, text: text, session: session, messageId: messageId.map(String.init))))
        explanation["rule"] = .string("nlu:\(engine)")
        steps.append("asked \(engine) what the customer means")
        // A lookup on its way keeps its wait (its answer names it); the service's answer is read
        // beside it (``resume(understanding:)`` knows it by its pending effect).
        if let waiting = state.awaiting, waiting.kind == .lookup {
            steps.append("lookup \(waiting.name) is on its way: still waited on")
            return
        }
        // A widget question the message interrupts is waited on again if the answer is a fallback.
        let interrupted = state.awaiting.flatMap { waiting in
            waiting.kind == .understanding ? waiting.resumes : waiting.kind == .select || waiting.kind == .form ? waiting.decision : nil
        }
        update.awaiting = .some(Awaiting(kind: .understanding, name: engine, purpose: "intent", resumes: interrupted))
    }

    /// With the built-in NLU a message not understood (a fallback) leaves the widget question
    /// standing; the external one's wait replaced it, so after a fallback it is waited on again
    /// (its options answerable by message too). Anything else the turn did — an answer, a new
    /// question or menu, a hand-off — ends it, as with the built-in NLU.
    private mutating func awaitAgain(interruptedBy understanding: Awaiting) {
        guard let asked = understanding.resumes, update.fallback == true, case .some(.none) = update.awaiting,
              !commands.contains(where: { if case .setStatus(.open) = $0 { true } else { false } }),
              let question = state.question(askedBy: asked) else { return }
        update.awaiting = .some(question)
        steps.append("still waits on its question of decision \(asked)")
    }

    /// The external NLU service answered (or failed): understand, then pursue as usual.
    private mutating func resume(understanding effect: EffectResult, pending: Bool) {
        guard let external = policy.nlu.external else { return }
        let waitedOn: Awaiting?
        if let awaiting = state.awaiting, awaiting.kind == .understanding {
            guard awaiting.decision == effect.decision else { return } // a later message's reading is awaited now
            waitedOn = awaiting
            update.awaiting = .some(nil)
        } else {
            // Asked while a lookup was on its way (whose wait was kept, and may be over by now):
            // read once, while its effect is pending — unless the bot has asked something since,
            // which the reading must not override.
            guard pending, state.awaiting == nil || state.awaiting?.kind == .lookup else { return }
            waitedOn = nil
        }
        guard botMaySpeak else {
            steps.append("the NLU answered after a human took over: nothing to say")
            return
        }
        defer { if let waitedOn { awaitAgain(interruptedBy: waitedOn) } }
        let text = state.lastCustomerMessages.last { $0.kind == .message }?.text ?? ""
        customerText = text
        let local = policy.nlu.entities.extract(text)
        guard effect.outcome != .failed, let data = effect.data else {
            explanation["nlu"] = .object(["engine": .string(policy.nlu.engine), "error": .string(effect.error ?? "no answer")])
            steps.append("\(policy.nlu.engine) failed: \(external.onError.rawValue)")
            switch external.onError {
            case .builtin:
                let builtin = understand(text, builtin: true)
                if let intent = builtin.intent { pursue(intent: intent.name, confidence: intent.confidence, entities: builtin.entities) } else { fallback() }
            case .fallback:
                fallback()
            case .handoff:
                handOff(reason: "NLU service \(policy.nlu.engine) unavailable")
            }
            return
        }
        let intent = data["intent"]?.stringValue
        // A service's confidence is a probability: anything else (1e300, negative) is clamped to one.
        let confidence = data["confidence"]?.doubleValue.flatMap { $0.isFinite ? min(max($0, 0), 1) : nil }.map(Self.rounded)
        var remote = local
        for entity in data["entities"]?.arrayValue ?? [] where remote.count < EntityExtractor.limit {
            guard let name = entity["entity"]?.stringValue, let value = entity["value"]?.stringValue else { continue }
            remote.append(ExtractedEntity(entity: name, value: value, text: value, extractor: policy.nlu.engine))
        }
        var nlu: [String: JSONValue] = ["engine": .string(policy.nlu.engine), "threshold": .double(policy.nlu.threshold)]
        if let ranking = data["ranking"]?.arrayValue { nlu["ranking"] = .array(Array(ranking.prefix(3))) }
        if !remote.isEmpty {
            nlu["entities"] = .array(remote.map { .object(["entity": .string($0.entity), "value": .string($0.value), "extractor": .string($0.extractor)]) })
        }
        explanation["nlu"] = .object(nlu)
        if let intent, (confidence ?? 1) >= policy.nlu.threshold, policy.intents[intent] != nil {
            pursue(intent: intent, confidence: confidence ?? 1, entities: remote)
        } else if external.useServiceReply, let reply = data["reply"]?.stringValue, !reply.isEmpty {
            explanation["rule"] = .string("service_reply")
            if let intent { update.intent = Projections.IntentScore(name: intent, confidence: confidence) }
            commands.append(.sendMessage(.text(reply)))
            steps.append("\(policy.nlu.engine) answered itself")
        } else {
            if let intent { steps.append("\(policy.nlu.engine) said \(intent) (\(confidence.map { String($0) } ?? "no score")): no rule or below the threshold") }
            fallback()
        }
    }

    private mutating func respond(to answer: SubmittedAnswer) {
        let awaiting = currentQuestion
        switch answer {
        case .csat(let response):
            explanation["rule"] = "csat"
            if let rating = response.rating { update.csat = rating }
            if let reply = policy.csatReply { say(reply, extra: ["rating": response.rating.map(JSONValue.int) ?? .null]) }
        case .email(let email):
            let slotName = awaiting?.kind == .slot || awaiting?.kind == .select ? awaiting!.name : "email"
            if let spec = policy.slots[slotName], let value = policy.value(of: spec, in: email, at: event.time) {
                setSlot(spec, value)
                clearAnsweredQuestion()
                steps.append("filled slot \(spec.name) from the email box")
                if let awaiting { continueAfterSlot(awaiting) } else { explanation["rule"] = .string("slot:\(spec.name)") }
            } else {
                respond(to: email)
            }
        case .form:
            let values = answer.formValues
            var rejected: [SlotSpec] = []
            for name in values.keys.sorted() {
                guard let spec = policy.slots[name], let raw = values[name] else { continue }
                guard let value = policy.value(of: spec, in: raw, at: event.time) else {
                    // A field left empty is no answer, not a wrong one. A wrong one also drops an
                    // earlier value, so that the form asks for it again rather than use it.
                    if !TextNormalizer.isBlank(raw) {
                        rejected.append(spec)
                        if slots[spec.stateKey] != nil {
                            slots[spec.stateKey] = nil
                            update.setSlots[spec.stateKey] = nil
                            update.clearSlots.append(spec.stateKey)
                        }
                    }
                    continue
                }
                setSlot(spec, value)
            }
            steps.append("form answered: \(values.keys.sorted().joined(separator: ", "))")
            clearAnsweredQuestion()
            // A value that does not validate is a wrong answer, as a typed one is: said so, and
            // counted towards a hand-off; the form, asked again below, came back silently forever.
            if let spec = rejected.first {
                if wrongAnswer(to: spec) { return }
                steps.append("form field \(spec.name) is not valid; asked again")
            }
            if let intent = awaiting?.intent {
                pursue(intent: intent, confidence: nil, entities: [])
            } else {
                explanation["rule"] = "form"
            }
        case .selection(let value):
            let chosen = value.value ?? value.title ?? ""
            if let awaiting, awaiting.kind == .select {
                clearAnsweredQuestion()
                var filled = false
                if !awaiting.name.isEmpty, let spec = policy.slots[awaiting.name] {
                    guard let normalised = policy.value(of: spec, in: chosen, at: event.time) else {
                        respond(to: chosen)
                        return
                    }
                    setSlot(spec, normalised)
                    steps.append("option '\(chosen)' fills slot \(spec.name)")
                    filled = true
                }
                if let next = awaiting.intent {
                    pursue(intent: next, confidence: nil, entities: [])
                    return
                }
                // The question only collected the slot: the click is understood, not a message
                // for the NLU (which said the fallback and counted it towards a hand-off).
                if filled, policy.intents[chosen] == nil {
                    steps.append("no next intent: the answer is kept")
                    return
                }
            }
            if policy.intents[chosen] != nil {
                steps.append("option '\(chosen)' names an intent")
                pursue(intent: chosen, confidence: 1, entities: [])
            } else {
                customerText = chosen
                respond(to: chosen)
            }
        }
    }

    /// A wrong answer to slot `spec`'s question (typed or in a form): a fallback, counted towards
    /// a hand-off. True when it handed off; else the slot's `invalid` text was said.
    private mutating func wrongAnswer(to spec: SlotSpec) -> Bool {
        explanation["rule"] = .string("slot_invalid:\(spec.name)")
        update.fallback = true
        if state.consecutiveFallbacks + 1 >= policy.handoff.afterFallbacks, policy.handoff.afterFallbacks > 0 {
            handOff(reason: Self.inARow(state.consecutiveFallbacks + 1, "answer"))
            return true
        }
        if let invalid = spec.invalid { say(invalid) }
        return false
    }

    /// The question answered is over; an earlier one's answer leaves the current question waiting.
    private mutating func clearAnsweredQuestion() {
        if !answeringEarlierQuestion { update.awaiting = .some(nil) }
    }

    /// Resumes the intent (or authentication) that was waiting for a slot.
    private mutating func continueAfterSlot(_ awaiting: Awaiting) {
        guard let intent = awaiting.intent else {
            explanation["rule"] = .string("slot:\(awaiting.name)")
            return
        }
        pursue(intent: intent, confidence: nil, entities: [])
    }

    // MARK: - NLU

    private struct Understanding {
        var intent: (name: String, confidence: Double?)?
        var entities: [ExtractedEntity]
    }

    /// Entities always; the built-in classification for the builtin engine (or `builtin: true`,
    /// when an external service failed).
    private mutating func understand(_ text: String, builtin: Bool = false) -> Understanding {
        let entities = policy.nlu.entities.extract(text)
        var nlu: [String: JSONValue] = ["engine": .string(builtin ? "builtin" : policy.nlu.engine), "threshold": .double(policy.nlu.threshold)]
        if policy.nlu.external != nil && !builtin {
            if !entities.isEmpty {
                nlu["entities"] = .array(entities.map { .object(["entity": .string($0.entity), "value": .string($0.value), "extractor": .string($0.extractor)]) })
            }
            explanation["nlu"] = .object(nlu)
            return Understanding(intent: nil, entities: entities)
        }
        if !entities.isEmpty {
            nlu["entities"] = .array(entities.map { .object(["entity": .string($0.entity), "value": .string($0.value), "extractor": .string($0.extractor)]) })
        }
        guard let classifier = policy.nlu.classifier else {
            explanation["nlu"] = .object(nlu)
            return Understanding(intent: nil, entities: entities)
        }
        let ranking = classifier.rank(text)
        nlu["ranking"] = .array(ranking.prefix(3).map { .object(["intent": .string($0.intent), "confidence": .double(Self.rounded($0.confidence))]) })
        explanation["nlu"] = .object(nlu)
        guard let top = ranking.first, IntentClassifier.isUnderstood(top, threshold: policy.nlu.threshold), !TextNormalizer.isBlank(text) else {
            return Understanding(intent: nil, entities: entities)
        }
        return Understanding(intent: (top.intent, Self.rounded(top.confidence)), entities: entities)
    }

    /// "2 messages in a row not understood" / "1 message not understood".
    static func inARow(_ count: Int, _ noun: String) -> String {
        count == 1 ? "1 \(noun) not understood" : "\(count) \(noun)s in a row not understood"
    }

    static func rounded(_ value: Double) -> Double { (value * 10_000).rounded() / 10_000 }

    // MARK: - Intents

    /// Works towards answering `intent`: authentication, missing slots, lookup, reply.
    private mutating func pursue(intent name: String, confidence: Double?, entities: [ExtractedEntity]) {
        guard let rule = policy.intents[name] else {
            fallback()
            return
        }
        explanation["rule"] = .string("intent:\(name)")
        if confidence != nil { update.intent = Projections.IntentScore(name: name, confidence: confidence) }
        // Entities come in the order the message names them; a second value for a slot ("orders
        // AB-10001 and AB-10002") leaves the first, as an answer to the slot's question does.
        var filled: Set<String> = [], keptSaid: Set<String> = []
        let specs = policy.slots.values.sorted(by: { $0.name < $1.name })
        for entity in entities {
            for spec in specs where spec.entity == entity.entity {
                guard let value = policy.value(of: spec, in: entity.value, at: event.time) else { continue }
                guard filled.insert(spec.stateKey).inserted else {
                    // Said once per slot: the first value left is the one worth naming.
                    if slots[spec.stateKey] != value, keptSaid.insert(spec.stateKey).inserted {
                        steps.append("slot \(spec.name): kept the first value named, not \(value)")
                    }
                    continue
                }
                if slots[spec.stateKey] != value || !update.setSlots.keys.contains(spec.stateKey) {
                    setSlot(spec, value)
                    if !steps.contains("slot \(spec.name) from entity \(entity.entity)") { steps.append("slot \(spec.name) from entity \(entity.entity)") }
                }
            }
        }
        if let reason = rule.handoff {
            handOff(reason: reason)
            return
        }
        if greetingDue(for: name), let greeting = policy.greeting {
            say(greeting)
            update.noted.append(Self.greetedKey)
        }
        if rule.requiresAuthentication, !authenticated, let auth = policy.authentication {
            if let missing = auth.slots.first(where: { slot(named: $0) == nil }) {
                ask(missing, intent: name, purpose: "auth")
            } else {
                look(up: auth.lookup, intent: name, purpose: "auth")
            }
            return
        }
        let missing = rule.slots.filter { slot(named: $0) == nil }
        if let first = missing.first {
            // Outside the widget a form does not render: one question per slot instead.
            if let form = rule.collectWithForm, rendering.showsRichContent {
                say(form)
                update.awaiting = .some(Awaiting(kind: .form, name: "", intent: name, purpose: "intent"))
                steps.append("asked for \(missing.joined(separator: ", ")) with a form")
            } else {
                ask(first, intent: name, purpose: "intent")
            }
            return
        }
        if let lookup = rule.lookup {
            look(up: lookup, intent: name, purpose: "intent")
            return
        }
        answer(rule)
    }

    private static let greetedKey = "greeted"

    /// The greeting goes before the first answer of a conversation (not before a hand-off, and
    /// not twice when the customer's first words were a greeting the rule answers).
    private func greetingDue(for intent: String) -> Bool {
        !state.notedKeys.contains(Self.greetedKey) && !update.noted.contains(Self.greetedKey) && intent != "greet" && state.counts.bot == 0
    }

    private mutating func answer(_ rule: IntentRule) {
        if let reply = rule.reply {
            say(reply)
            if let choice = reply.choice, choice.slot != nil || choice.next != nil {
                let kind: Awaiting.Kind = if case .form? = reply.rich { .form } else { .select }
                update.awaiting = .some(Awaiting(kind: kind, name: choice.slot ?? "", intent: choice.next, purpose: "intent"))
            } else if let waiting = state.awaiting, waiting.kind != .lookup {
                // A lookup on its way stays awaited: its answer still continues what it was for.
                update.awaiting = .some(nil)
            }
        }
        if rule.csat {
            commands.append(.sendMessage(.inputCSAT(csatQuestion)))
            steps.append("asked for a rating")
        }
        for name in rule.clearSlots {
            let key = policy.slots[name]?.stateKey ?? name
            slots[key] = nil
            update.setSlots[key] = nil
            update.clearSlots.append(key)
        }
    }

    private var csatQuestion: String {
        policy.language.hasPrefix("pt") ? "Como você avalia este atendimento?" : "How would you rate this conversation?"
    }

    private mutating func fallback() {
        explanation["rule"] = "fallback"
        update.fallback = true
        let count = state.consecutiveFallbacks + 1
        if policy.handoff.afterFallbacks > 0, count >= policy.handoff.afterFallbacks {
            handOff(reason: Self.inARow(count, "message"))
            return
        }
        say(policy.fallback)
    }

    // MARK: - Slots and lookups

    private func slot(named name: String) -> String? {
        guard let spec = policy.slots[name] else { return slots[name] }
        return slots[spec.stateKey]
    }

    private mutating func setSlot(_ spec: SlotSpec, _ value: String) {
        slots[spec.stateKey] = value
        update.setSlots[spec.stateKey] = value
    }

    private mutating func ask(_ slot: String, intent: String, purpose: String) {
        guard let spec = policy.slots[slot] else { return }
        say(spec.prompt)
        update.awaiting = .some(Awaiting(kind: .slot, name: slot, intent: intent, purpose: purpose))
        steps.append("asked for \(slot)")
    }

    private mutating func look(up name: String, intent: String?, purpose: String) {
        guard let spec = policy.lookups[name] else { return }
        // Asked already and not answered yet (a second message, a double tap): its answer goes on
        // with the turn. Asking again would repeat an action under a new key (a second booking)
        // and leave the first answer unread. Unless this turn changed a slot (another order
        // number): that answer would be for the old value, shown with the new one.
        if let waiting = state.awaiting, waiting.kind == .lookup, waiting.name == name {
            if slots == state.slots {
                update.awaiting = .some(waiting)
                steps.append("lookup \(name) was asked already and its answer is on its way: not asked again")
                return
            }
            steps.append("lookup \(name) is asked again: the slots it was asked with changed (its first answer is not used)")
        }
        let key = "ledgerbot-\(event.seq)-\(name)"
        commands.append(.lookup(spec.call(context(), idempotencyKey: key)))
        update.awaiting = .some(Awaiting(kind: .lookup, name: name, intent: intent, purpose: purpose))
        steps.append("looked up \(name)")
    }

    /// A lookup the bot asked for came back.
    private mutating func resume(after effect: EffectResult, answer: LookupAnswer?) {
        if let tag = answer?.tag, tag.hasPrefix(Self.monitorTag) {
            noteMonitoredLookup(effect, answer: answer, tag: tag)
            return
        }
        guard let awaiting = state.awaiting, awaiting.kind == .lookup, awaiting.decision == effect.decision else { return }
        update.awaiting = .some(nil)
        let name = awaiting.name
        explanation["lookup"] = .object(["name": .string(name), "outcome": .string(effect.outcome.rawValue),
                                         "found": answer.map { .bool($0.found) } ?? .null])
        if let answer { update.lookups[name] = answer.jsonValue }
        guard botMaySpeak else {
            steps.append("lookup \(name) answered after a human took over: remembered only")
            return
        }
        result = answer
        guard effect.outcome != .failed, let answer else {
            explanation["rule"] = .string("lookup_failed:\(name)")
            if let intent = awaiting.intent, let onError = policy.intents[intent]?.onError {
                say(onError)
            } else if policy.handoff.onLookupError {
                handOff(reason: "lookup \(name) failed")
            } else {
                say(policy.fallback)
            }
            return
        }
        if awaiting.purpose == "auth", let auth = policy.authentication {
            explanation["rule"] = "authentication"
            if answer.found {
                authenticated = true
                update.authenticated = true
                update.authFailures = 0
                steps.append("customer authenticated by \(name)")
                if let success = auth.success { say(success) }
                if let intent = awaiting.intent { pursue(intent: intent, confidence: nil, entities: []) }
            } else {
                let failures = state.authFailures + 1
                update.authFailures = failures
                steps.append("authentication failed (\(failures) of \(auth.maxFailures))")
                for slot in auth.slots {
                    let key = policy.slots[slot]?.stateKey ?? slot
                    slots[key] = nil
                    update.clearSlots.append(key)
                }
                if failures >= auth.maxFailures {
                    handOff(reason: "authentication failed \(failures) times")
                } else {
                    say(auth.failure)
                    if let first = auth.slots.first, let intent = awaiting.intent { ask(first, intent: intent, purpose: "auth") }
                }
            }
            return
        }
        guard let intent = awaiting.intent, let rule = policy.intents[intent] else { return }
        explanation["rule"] = .string("intent:\(intent)")
        if answer.found {
            self.answer(rule)
        } else {
            explanation["rule"] = .string("not_found:\(intent)")
            if let notFound = rule.notFound { say(notFound) }
            for slot in rule.slots {
                let key = policy.slots[slot]?.stateKey ?? slot
                slots[key] = nil
                update.clearSlots.append(key)
            }
        }
    }

    // MARK: - Watching conversations a human owns

    private static let monitorTag = "monitor:"

    /// While a human owns the conversation: entities the policy watches become private notes
    /// (after a lookup when the rule has one). Each fact is noted once.
    private mutating func monitor(_ text: String) {
        guard !policy.monitoring.isEmpty else { return }
        if let rule = policy.monitoring.first(where: \.suggestReplies) { suggestReply(text, rule: rule) }
        if let rule = policy.monitoring.first(where: \.earlierConversations) { noteEarlierConversations(rule) }
        // A value as its slot would hold it ("ab-10001" → "AB-10001"): one note and one lookup
        // per fact however it was typed, and the lookup asks for what the bot itself would ask.
        let specs = policy.slots.values.sorted { $0.name < $1.name }
        let entities = policy.nlu.entities.extract(text).map { found in
            var entity = found
            if let spec = specs.first(where: { $0.entity == found.entity }), let value = policy.value(of: spec, in: found.value, at: event.time) {
                entity.value = value
            }
            return entity
        }
        for (index, rule) in policy.monitoring.enumerated() where rule.entity != nil {
            for entity in entities where entity.entity == rule.entity {
                let key = "\(entity.entity):\(entity.value)"
                guard !state.notedKeys.contains(key), !update.noted.contains(key) else { continue }
                guard mayPostMonitorNote() else { return }
                update.noted.append(key)
                explanation["rule"] = .string("monitor:\(entity.entity)")
                if let lookup = rule.lookup, let spec = policy.lookups[lookup] {
                    var context = context()
                    context["value"] = .string(entity.value)
                    context["slots"] = .object((context["slots"]?.objectValue ?? [:]).merging([entity.entity: .string(entity.value)]) { $1 })
                    commands.append(.lookup(spec.call(context, idempotencyKey: "ledgerbot-\(event.seq)-\(lookup)", tag: "\(Self.monitorTag)\(index):\(entity.value)")))
                    monitorLookupsThisTurn += 1 // its note comes with the answer: counted now, so one message cannot ask for more
                    steps.append("looked up \(lookup) for the agent (\(entity.entity) mentioned)")
                } else {
                    note(rule.note, extra: ["value": .string(entity.value)])
                    countMonitorNote()
                    steps.append("noted \(entity.entity) for the agent")
                }
            }
        }
    }

    private mutating func noteMonitoredLookup(_ effect: EffectResult, answer: LookupAnswer?, tag: String) {
        let parts = tag.dropFirst(Self.monitorTag.count).split(separator: ":", maxSplits: 1).map(String.init)
        guard parts.count == 2, let index = Int(parts[0]), policy.monitoring.indices.contains(index) else { return }
        let rule = policy.monitoring[index]
        explanation["rule"] = .string("monitor:\(rule.entity ?? "lookup")")
        guard mayPostMonitorNote() else { return }
        countMonitorNote()
        result = answer
        var extra: [String: JSONValue] = ["value": .string(parts[1]), "found": .bool(answer?.found ?? false)]
        if effect.outcome == .failed { extra["error"] = .string(effect.error ?? "lookup failed") }
        note(rule.note, extra: extra)
        steps.append("noted the \(answer?.lookup ?? "lookup") answer for the agent")
    }

    /// A question the bot answers on its own (an intent with a plain reply: no slots, lookup,
    /// authentication or hand-off): the answer goes to the agent as a note, once per intent.
    private mutating func suggestReply(_ text: String, rule: MonitorRule) {
        guard let classifier = policy.nlu.classifier, let top = classifier.rank(text).first, IntentClassifier.isUnderstood(top, threshold: policy.nlu.threshold),
              let intent = policy.intents[top.intent], let reply = intent.reply, reply.rich == nil || reply.text != nil,
              intent.slots.isEmpty, intent.lookup == nil, !intent.requiresAuthentication, intent.handoff == nil,
              !ConversationSummary.isSmallTalk(top.intent) else { return }
        let key = "suggest:\(top.intent)"
        guard !state.notedKeys.contains(key), !update.noted.contains(key), mayPostMonitorNote() else { return }
        update.noted.append(key)
        countMonitorNote()
        explanation["rule"] = .string("monitor:suggest")
        let answer = reply.message(context()).content ?? ""
        note(rule.note, extra: ["reply": .string(answer), "intent": .object(["name": .string(top.intent), "confidence": .double(Self.rounded(top.confidence))])])
        steps.append("suggested the \(top.intent) answer to the agent")
    }

    /// The contact's unresolved earlier conversations, noted once for the agent (at hand-off, or
    /// on the first message while a human owns the conversation).
    private mutating func noteEarlierConversations(_ rule: MonitorRule) {
        let unresolved = (state.earlierConversations ?? []).filter(\.isUnresolved)
        let key = "earlier:" + unresolved.map { String($0.conversationId) }.joined(separator: ",")
        guard !unresolved.isEmpty, !state.notedKeys.contains(key), !update.noted.contains(key), mayPostMonitorNote() else { return }
        update.noted.append(key)
        countMonitorNote()
        let list = unresolved.map { earlier in
            "#\(earlier.conversationId) (\(wording.status(earlier.status))" + (earlier.lastIntent.map { ", \($0)" } ?? "")
                + (earlier.handoffReason.map { ", \(wording.handoffInline): \(wording.reason($0))" } ?? "") + ")"
        }.joined(separator: "; ")
        note(rule.note, extra: ["count": .int(unresolved.count), "list": .string(list)])
        steps.append("noted \(unresolved.count) unresolved earlier conversation(s) for the agent")
    }

    /// A monitoring note this turn posts: each counts against the hourly limit, not one per
    /// decision (a message naming several entities posts a note for each).
    private mutating func countMonitorNote() {
        monitorNotesThisTurn += 1
        update.monitorNoteAt = event.time
        update.monitorNoteCount = monitorNotesThisTurn
    }

    /// At most ``Policy/monitorNotesPerHour`` monitoring notes per conversation in any hour,
    /// counting those this turn already posts.
    private mutating func mayPostMonitorNote() -> Bool {
        let hourAgo = event.time - 3_600_000_000
        let recent = state.monitorNoteTimes.filter { $0 > hourAgo }.count + monitorNotesThisTurn + monitorLookupsThisTurn
        guard recent < policy.monitorNotesPerHour else {
            explainSilence = true
            if !steps.contains(where: { $0.hasPrefix("note limit") }) { steps.append("note limit reached (\(policy.monitorNotesPerHour) per hour): not posted") }
            return false
        }
        return true
    }

    /// A waiting rule's timer: the customer has waited since the hand-off with no agent reply.
    private mutating func timerFired(_ fired: TimerFired) {
        guard fired.name.hasPrefix(Self.waitTimer), let index = Int(fired.name.dropFirst(Self.waitTimer.count)),
              policy.monitoring.indices.contains(index), let waiting = policy.monitoring[index].waitingMilliseconds else { return }
        let rule = policy.monitoring[index]
        explanation["rule"] = .string("monitor:waiting")
        // The hand-off that set the timer must be the current one: handed back and handed off
        // again since, its timer would speak of the new hand-off too early.
        let handedBackSince = state.transitions.contains { $0.from == .open && ($0.to == .pending || $0.to == .resolved) && $0.seq > fired.decision }
        guard state.status == .open, state.firstAgentReplyAt == nil, !handedBackSince, let since = state.handoffAt ?? state.statusChangedAt else {
            steps.append("timer \(fired.name): an agent already answered (or the conversation moved on)")
            return
        }
        guard mayPostMonitorNote() else { return }
        let minutes = max(0, Int((event.time - since) / 60_000_000))
        note(rule.note, extra: ["minutes": .int(minutes), "waiting_minutes": .int(waiting / 60_000)])
        countMonitorNote()
        if let priority = rule.priority { commands.append(.setPriority(priority)) }
        steps.append("customer waited \(minutes) min after the hand-off without an agent reply")
    }

    static let waitTimer = "wait:"

    // MARK: - Hand-off

    private mutating func handOff(reason: String) {
        explanation["handoff"] = .object(["reason": .string(reason)])
        update.handoffReason = reason
        if state.awaiting != nil { update.awaiting = .some(nil) }
        steps.append("handed off: \(reason)")
        if let hours = policy.businessHours, !hours.isOpen(atMicros: event.time) {
            say(hours.reply)
        }
        if let reply = policy.handoff.reply { say(reply) }
        let summary = policy.handoff.note.map { $0.render(context(extra: ["reason": .string(wording.reason(reason))])) }
            ?? ConversationSummary(state: state, now: event.time, reason: reason, slots: slots, authenticated: authenticated,
                                   intent: update.intent, fallbacks: update.fallback == true ? state.consecutiveFallbacks + 1 : nil)
                .markdown(policy: policy.id, language: policy.language)
        commands.append(.sendMessage(.privateNote(summary)))
        commands.append(.setStatus(.open))
        if let priority = policy.handoff.priority { commands.append(.setPriority(priority)) }
        if let team = policy.handoff.team { commands.append(.assign(.team(id: team))) }
        if let rule = policy.monitoring.first(where: \.earlierConversations) { noteEarlierConversations(rule) }
        for (index, rule) in policy.monitoring.enumerated() {
            guard let waiting = rule.waitingMilliseconds else { continue }
            commands.append(.scheduleTimer(TimerRequest(name: "\(Self.waitTimer)\(index)", dueAt: event.time + Int64(waiting) * 1000)))
        }
    }

    // MARK: - Output

    // Replies and templates build the context only when they read one (fixed text does not).

    /// Sends `reply` as the conversation's channel can show it (``Chatwoot/ChannelRendering``).
    private mutating func say(_ reply: Reply, extra: [String: JSONValue] = [:]) {
        commands.append(.sendMessage(rendering.adapt(reply.message(context(extra: extra)))))
    }

    private var rendering: ChannelRendering { ChannelRendering(channel: state.channel) }

    /// The words of notes for agents in the policy's language.
    private var wording: ConversationSummary.Wording { ConversationSummary.Wording(language: policy.language) }

    private mutating func note(_ template: Template, extra: [String: JSONValue] = [:]) {
        commands.append(.sendMessage(.privateNote(template.render(context(extra: extra)))))
    }

    /// What templates see (see ``Policy/TemplateContext``).
    private func context(extra: [String: JSONValue] = [:]) -> TemplateContext {
        var values: [String: JSONValue] = [:]
        var contact: [String: JSONValue] = [:]
        if let info = state.contact {
            if let name = info.name {
                contact["name"] = .string(name)
                contact["first_name"] = .string(String(name.split(separator: " ").first ?? Substring(name)))
            }
            if let email = info.email { contact["email"] = .string(email) }
            if let phone = info.phone { contact["phone"] = .string(phone) }
        }
        values["contact"] = .object(contact)
        var slotValues: [String: JSONValue] = [:]
        for (key, value) in slots {
            let name = key.hasPrefix(ConversationState.contactSlotPrefix) ? String(key.dropFirst(ConversationState.contactSlotPrefix.count)) : key
            slotValues[name] = .string(value)
        }
        values["slots"] = .object(slotValues)
        var lookups: [String: JSONValue] = [:]
        for (name, value) in state.lookups { lookups[name] = value["fields"] ?? .object([:]) }
        for (name, value) in update.lookups { lookups[name] = value["fields"] ?? .object([:]) }
        values["lookups"] = .object(lookups)
        if let result { values["result"] = .object(result.fields) }
        if let intent = update.intent ?? state.lastIntent {
            values["intent"] = .object(["name": .string(intent.name), "confidence": intent.confidence.map(JSONValue.double) ?? .null])
        }
        if let customerText { values["message"] = .string(customerText) }
        if let hours = policy.businessHours { values["hours"] = .string(hours.description) }
        for (key, value) in extra { values[key] = value }
        return TemplateContext(values)
    }
}

extension StateUpdate {
    var isEmpty: Bool {
        intent == nil && setSlots.isEmpty && clearSlots.isEmpty && authenticated == nil && fallback == nil && awaiting == nil
            && authFailures == nil && lookups.isEmpty && handoffReason == nil && csat == nil && noted.isEmpty && monitorNoteAt == nil
            && answeredEarlier == nil
    }
}
