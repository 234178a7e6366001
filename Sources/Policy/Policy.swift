import Chatwoot
import Foundation
import NLU

/// One bot version, loaded from a YAML file by ``PolicyLoader``: what the bot understands,
/// says, asks, looks up, and when it hands off. Immutable and `Sendable`; the reactor reads it.
public struct Policy: Sendable {
    public var name: String
    public var version: String
    /// `en`, `pt-BR`, …: picks date formats and the built-in words.
    public var language: String
    /// SHA-256 of the file's bytes: which exact text decided (recorded with `policy.activated`).
    public var contentHash: String
    /// The YAML text itself, recorded so replay can rebuild this version from the ledger.
    public var source: String
    /// Files the policy includes (`nlu.training_file`), by the name it uses: recorded too.
    public var includes: [String: String] = [:]

    public var nlu: NLUSettings
    /// Sent before the first answer in a conversation.
    public var greeting: Reply?
    /// When nothing was understood.
    public var fallback: Reply
    public var intents: [String: IntentRule]
    public var slots: [String: SlotSpec]
    public var lookups: [String: LookupSpec]
    public var authentication: AuthenticationSpec?
    public var handoff: HandoffSpec
    public var businessHours: BusinessHours?
    public var monitoring: [MonitorRule]
    /// At most this many monitoring notes per conversation per hour (no note storms).
    public var monitorNotesPerHour: Int
    /// The thanks for a satisfaction rating (`{{rating}}`).
    public var csatReply: Reply?

    /// `name@version`, the bot version named in every decision.
    public var id: String { "\(name)@\(version)" }

    /// The value of `slot` in `text`, normalised, or nil when it does not validate. Relative dates
    /// are read at `micros` (the event's time) in the business-hours time zone (else UTC).
    public func value(of slot: SlotSpec, in text: String, at micros: Int64) -> String? {
        slot.validate(text, language: language, now: micros, timeZone: businessHours?.timeZone ?? TimeZone(identifier: "UTC")!)
    }
}

public struct NLUSettings: Sendable {
    /// `builtin` (the classifier below), or an external engine (`rasa`, `dialogflow_es`,
    /// `dialogflow_cx`, `lex_v2`) whose adapter is configured under `nlu:`.
    public var engine: String
    /// Below this confidence the input counts as not understood.
    public var threshold: Double
    public var examples: [TrainingExample]
    public var classifier: IntentClassifier?
    public var entities: EntityExtractor
    /// Every intent named in the training data.
    public var intents: [String]
    /// The external service's settings (engines other than `builtin`).
    public var external: ExternalNLUSettings?
}

/// How to reach an external NLU service. Values may hold `${VARIABLE}` references, expanded by
/// the runtime from its environment (credentials never appear in the policy or the ledger).
public struct ExternalNLUSettings: Sendable {
    public enum OnError: String, Sendable {
        /// Classify with the built-in NLU (needs training examples in the policy).
        case builtin
        /// Answer with the fallback reply.
        case fallback
        /// Hand off to a human.
        case handoff
    }

    /// The keys under `nlu.rasa`, `nlu.dialogflow` or `nlu.lex`, as written.
    public var settings: [String: String]
    public var onError: OnError
    /// Send the service's own reply (Dialogflow fulfillment, Lex messages) for intents without a rule.
    public var useServiceReply: Bool
}

/// What the bot does for one intent.
public struct IntentRule: Sendable {
    public var name: String
    public var line: Int
    public var reply: Reply?
    /// Hand off with this reason instead of answering.
    public var handoff: String?
    /// Requires an authenticated customer (the ``AuthenticationSpec`` flow runs first).
    public var requiresAuthentication: Bool
    /// Slots to collect before answering, in order.
    public var slots: [String]
    /// Ask for all missing slots at once with a `form` instead of one question each.
    public var collectWithForm: Reply?
    /// Looked up once the slots are in; the reply can use `{{result.…}}`.
    public var lookup: String?
    /// Said when the lookup finds nothing.
    public var notFound: Reply?
    /// When the lookup fails: a reply, or hand off (``HandoffSpec/onLookupError``) when nil.
    public var onError: Reply?
    /// Send a satisfaction survey (`input_csat`) after the reply.
    public var csat: Bool
    /// Slots cleared once the intent answered (so the next request asks again).
    public var clearSlots: [String]
}

public struct AuthenticationSpec: Sendable {
    /// Collected first (e.g. `email`, `order_number`).
    public var slots: [String]
    /// Found → authenticated.
    public var lookup: String
    public var success: Reply?
    public var failure: Reply
    /// Failed attempts before handing off.
    public var maxFailures: Int
}

public struct HandoffSpec: Sendable {
    /// Plain-words requests for a human, matched on folded text ("falar com um atendente").
    public var phrases: [String]
    /// Consecutive inputs not understood before handing off (0: never).
    public var afterFallbacks: Int
    /// A failed lookup hands off (unless the intent has its own `on_error` reply).
    public var onLookupError: Bool
    /// Said to the customer when handing off.
    public var reply: Reply?
    /// The private note for agents; nil: the built-in context summary.
    public var note: Template?
    public var priority: Priority?
    public var team: Int?
    /// A human agent's reply in a pending conversation silences the bot there (default true).
    public var silenceOnAgentReply: Bool
}

/// A rule for conversations a human owns: the bot only posts private notes.
///
/// Three kinds: an `entity` the customer mentions (looked up, then noted); `waiting`: the
/// customer has waited this long after a hand-off without an agent's reply (a recorded timer);
/// `suggest_replies: true`: a question the bot could answer itself gets its answer as a note.
public struct MonitorRule: Sendable {
    public var line: Int
    /// An entity the customer mentions (e.g. `order_number`)…
    public var entity: String?
    /// …or: how long after a hand-off without an agent reply (milliseconds).
    public var waitingMilliseconds: Int?
    /// Raised with the note (waiting rules).
    public var priority: Priority?
    /// Suggest the bot's answer to the agent when the customer asks something the bot can answer
    /// on its own (an intent with a plain reply).
    public var suggestReplies = false
    /// Tell the agent about the contact's unresolved earlier conversations.
    public var earlierConversations = false
    /// …is looked up…
    public var lookup: String?
    /// …and noted for the agent (`{{value}}`, `{{result.…}}`).
    public var note: Template
}
