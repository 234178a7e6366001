import Chatwoot

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
///   "fallback": false
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
///   + 1. A decision with an `intent` and no `fallback: true` resets the counter; a decision with
///   neither (a timer, a private note for agents) leaves it alone.
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

    public init(intent: IntentScore? = nil, setSlots: [String: String] = [:], clearSlots: [String] = [],
                authenticated: Bool? = nil, fallback: Bool? = nil) {
        self.intent = intent
        self.setSlots = setSlots
        self.clearSlots = clearSlots
        self.authenticated = authenticated
        self.fallback = fallback
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
        return .object(object)
    }

    /// Folds the update into `state`.
    func fold(into state: inout ConversationState) {
        for name in clearSlots { state.slots[name] = nil }
        for (name, value) in setSlots { state.slots[name] = value }
        if let authenticated { state.authenticated = authenticated }
        if let intent { state.lastIntent = intent }
        if fallback == true {
            state.consecutiveFallbacks += 1
        } else if intent != nil {
            state.consecutiveFallbacks = 0
        }
    }
}
