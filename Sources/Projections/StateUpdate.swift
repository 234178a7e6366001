import Chatwoot
import Ledger

/// What a decision changes in the reactor's memory of a conversation, recorded inside
/// ``Domain/Decision/explanation`` and folded by ``Projector``.
///
/// The reactor is pure, so it cannot write state; it writes these facts into the explanation of
/// the decision it returns, the decision goes into the ledger, and the projector folds them.
/// Replaying the ledger therefore rebuilds exactly the memory the reactor had.
///
/// ## Convention
///
/// The explanation is a JSON object; the projector reads only these members, all optional, and
/// ignores everything else (rule, NLU ranking, lookups… belong to the reactor and the audit):
///
/// ```json
/// {
///   "intent": {"name": "track_order", "confidence": 0.92},
///   "slots": {"set": {"order_number": "A-10023"}, "clear": ["topic"]},
///   "authenticated": true,
///   "fallback": false,
///   "awaiting": {"kind": "slot", "name": "email", "intent": "track_order", "purpose": "auth"},
///   "auth_failures": 1,
///   "lookups": {"order_status": {"found": true, "fields": {"status": "shipped"}}},
///   "handoff_reason": "customer asked for a human",
///   "csat": 5,
///   "noted": ["order:AB-10001"]
/// }
/// ```
///
/// - `intent`: becomes ``ConversationState/lastIntent``. `confidence` is optional.
/// - `slots.clear`: names removed from ``ConversationState/slots``, applied before `slots.set`.
///   `slots.set`: name → value; numbers and booleans are stored as their JSON text, `null`
///   clears. Names starting with `contact.` survive the conversation being resolved; all other
///   slots are cleared then.
/// - `authenticated`: sets ``ConversationState/authenticated`` (cleared again on resolve).
/// - `fallback`: `true` when the input was not understood → ``ConversationState/consecutiveFallbacks``
///   + 1. A decision with an `intent` or slots it set, and no `fallback: true`, resets the
///   counter; a decision with none of them (a timer, a private note for agents) leaves it alone.
/// - `awaiting`: what the bot now waits on (``Awaiting``; the projector adds the decision's seq);
///   `null` clears it. Absent: unchanged.
/// - `auth_failures`, `handoff_reason`, `csat`: replace the state's value.
/// - `lookups`: lookup name → answer, merged into ``ConversationState/lookups``.
/// - `noted`: keys appended to ``ConversationState/notedKeys``.
///
/// Build explanations with ``apply(to:)`` so the keys are always spelled as above:
///
/// ```swift
/// let update = StateUpdate(intent: IntentScore(name: "track_order", confidence: 0.92),
///                          setSlots: ["order_number": "A-10023"])
/// let decision = Decision(conversation: address, commands: commands,
///                         explanation: update.apply(to: ["rule": "order-status"]))
/// ```
public struct StateUpdate: Sendable, Equatable {
    public var intent: IntentScore?
    public var setSlots: [String: String]
    public var clearSlots: [String]
    public var authenticated: Bool?
    public var fallback: Bool?
    /// `.some(nil)` clears what the bot waits on.
    public var awaiting: Awaiting??
    public var authFailures: Int?
    public var lookups: [String: JSONValue]
    public var handoffReason: String?
    public var csat: Int?
    public var noted: [String]
    /// The time (µs) of a monitoring note this decision posts (for the hourly limit).
    public var monitorNoteAt: Int64?
    /// How many monitoring notes it posts at that time (`monitor_notes`, written only above 1).
    public var monitorNoteCount = 1
    /// The decision answers the widget question the bot waited on — a widget answer (input kind
    /// `submission`, not `answered_earlier`) or an option named by message (`option`) — read
    /// from what every such decision records already. A widget question replaced or cleared
    /// otherwise was left unanswered: an old widget can still answer it
    /// (``ConversationState/earlierQuestions``); an answered one is not answered twice.
    public var answersCurrentQuestion = false
    /// The earlier widget question this decision answered (`answered_earlier`, its decision).
    public var answeredEarlier: Seq?

    public init(intent: IntentScore? = nil, setSlots: [String: String] = [:], clearSlots: [String] = [],
                authenticated: Bool? = nil, fallback: Bool? = nil, awaiting: Awaiting?? = nil, authFailures: Int? = nil,
                lookups: [String: JSONValue] = [:], handoffReason: String? = nil, csat: Int? = nil, noted: [String] = []) {
        self.intent = intent
        self.setSlots = setSlots
        self.clearSlots = clearSlots
        self.authenticated = authenticated
        self.fallback = fallback
        self.awaiting = awaiting
        self.authFailures = authFailures
        self.lookups = lookups
        self.handoffReason = handoffReason
        self.csat = csat
        self.noted = noted
    }

    /// Reads the convention from an explanation; members of the wrong type are ignored.
    public init(explanation: JSONValue) {
        self.init()
        if let intent = explanation["intent"], let name = intent["name"]?.stringValue {
            self.intent = IntentScore(name: name, confidence: intent["confidence"]?.doubleValue)
        }
        if let slots = explanation["slots"] {
            clearSlots = slots["clear"]?.arrayValue?.compactMap(\.stringValue) ?? []
            for (name, value) in slots["set"]?.objectValue ?? [:] {
                if let text = value.scalarText {
                    setSlots[name] = text
                } else if value.isNull {
                    clearSlots.append(name)
                }
            }
            // Determinism: the order of clears must not depend on dictionary iteration.
            clearSlots.sort()
        }
        authenticated = explanation["authenticated"]?.boolValue
        fallback = explanation["fallback"]?.boolValue
        if let value = explanation["awaiting"] { awaiting = .some(Awaiting(value)) }
        authFailures = explanation["auth_failures"]?.intValue
        lookups = explanation["lookups"]?.objectValue ?? [:]
        handoffReason = explanation["handoff_reason"]?.stringValue
        csat = explanation["csat"]?.intValue
        noted = explanation["noted"]?.arrayValue?.compactMap(\.stringValue) ?? []
        monitorNoteAt = explanation["monitor_note_at"]?.intValue.map(Int64.init)
        monitorNoteCount = max(1, min(1000, explanation["monitor_notes"]?.intValue ?? 1))
        answersCurrentQuestion = explanation["option"] != nil || (explanation["input"]?["kind"]?.stringValue == "submission" && explanation["answered_earlier"] == nil)
        answeredEarlier = explanation["answered_earlier"]?.intValue.flatMap { $0 > 0 ? Seq($0) : nil }
    }

    /// `explanation` (an object; anything else is replaced) with this update's members written in.
    public func apply(to explanation: JSONValue = .object([:])) -> JSONValue {
        var object = explanation.objectValue ?? [:]
        if let intent {
            var value: [String: JSONValue] = ["name": .string(intent.name)]
            if let confidence = intent.confidence { value["confidence"] = .double(confidence) }
            object["intent"] = .object(value)
        }
        if !setSlots.isEmpty || !clearSlots.isEmpty {
            var slots: [String: JSONValue] = [:]
            if !setSlots.isEmpty { slots["set"] = .object(setSlots.mapValues(JSONValue.string)) }
            if !clearSlots.isEmpty { slots["clear"] = .array(clearSlots.map(JSONValue.string)) }
            object["slots"] = .object(slots)
        }
        if let authenticated { object["authenticated"] = .bool(authenticated) }
        if let fallback { object["fallback"] = .bool(fallback) }
        if let awaiting { object["awaiting"] = awaiting?.jsonValue ?? .null }
        if let authFailures { object["auth_failures"] = .int(authFailures) }
        if !lookups.isEmpty { object["lookups"] = .object(lookups) }
        if let handoffReason { object["handoff_reason"] = .string(handoffReason) }
        if let csat { object["csat"] = .int(csat) }
        if !noted.isEmpty { object["noted"] = .array(noted.map(JSONValue.string)) }
        if let monitorNoteAt { object["monitor_note_at"] = .int(Int(monitorNoteAt)) }
        if monitorNoteAt != nil, monitorNoteCount > 1 { object["monitor_notes"] = .int(monitorNoteCount) }
        if let answeredEarlier { object["answered_earlier"] = .int(Int(answeredEarlier)) }
        return .object(object)
    }

    /// Folds the update into `state`.
    func fold(into state: inout ConversationState, decision seq: Seq) {
        if let answeredEarlier { state.earlierQuestions.removeAll { $0.decision == answeredEarlier } }
        if let awaiting {
            if let previous = state.awaiting, previous.decision != awaiting?.decision ?? seq {
                if answersCurrentQuestion { state.earlierQuestions.removeAll { $0.decision == previous.decision } } else { state.movePast(previous) }
            }
            state.awaiting = awaiting.map { value in
                // A question asked by this decision; or one an earlier decision asked, waited on
                // still or again (its answer names that decision).
                var value = value
                value.decision = value.decision ?? seq
                return value
            }
        }
        if let authFailures { state.authFailures = authFailures }
        for name in lookups.keys.sorted() { state.lookups[name] = lookups[name] }
        if let handoffReason { state.handoffReason = handoffReason }
        if let csat { state.csatRating = csat }
        if let monitorNoteAt {
            // The last hour's notes, however many the policy allows (up to 1,000): with a fixed
            // 20 a limit above 20 was never reached.
            state.monitorNoteTimes.append(contentsOf: repeatElement(monitorNoteAt, count: monitorNoteCount))
            state.monitorNoteTimes.removeAll { $0 <= monitorNoteAt - 3_600_000_000 }
            if state.monitorNoteTimes.count > 1000 { state.monitorNoteTimes.removeFirst(state.monitorNoteTimes.count - 1000) }
        }
        for key in noted where !state.notedKeys.contains(key) {
            state.notedKeys.append(key)
            if state.notedKeys.count > ConversationState.noteKeyLimit { state.notedKeys.removeFirst() }
        }
        for name in clearSlots { state.slots[name] = nil }
        for (name, value) in setSlots { state.slots[name] = value }
        if let authenticated { state.authenticated = authenticated }
        if let intent {
            state.lastIntent = intent
            if state.intentHistory.last?.name != intent.name {
                state.intentHistory.append(intent)
                if state.intentHistory.count > ConversationState.intentLimit { state.intentHistory.removeFirst() }
            }
        }
        if fallback == true {
            state.consecutiveFallbacks += 1
            state.totalFallbacks += 1
        } else if intent != nil || !setSlots.isEmpty {
            // Understood: a recognised intent, or an answer that filled a slot (a typed answer, a
            // form, a choice) — those record no intent, and "2 in a row not understood" must not
            // count across them.
            state.consecutiveFallbacks = 0
        }
    }
}
