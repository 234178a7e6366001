import Chatwoot
import Ledger

/// The customer of a conversation, as the newest payload names them.
public struct ContactInfo: Sendable, Equatable, Codable {
    public var id: Int?
    public var name: String?
    public var email: String?
    public var phone: String?
    /// The identifier the website passed to the widget SDK, if any.
    public var identifier: String?

    public init(id: Int?, name: String? = nil, email: String? = nil, phone: String? = nil, identifier: String? = nil) {
        self.id = id
        self.name = name
        self.email = email
        self.phone = phone
        self.identifier = identifier
    }
}

/// Messages seen in a conversation, by who wrote them. Each `message_created` counts once;
/// `message_updated` never counts (it is the same message).
public struct MessageCounts: Sendable, Equatable, Codable {
    /// Incoming, non-private: the customer wrote.
    public var customer = 0
    /// Outgoing from an agent bot (this one or another) or a Captain assistant.
    public var bot = 0
    /// Outgoing from a human agent, not private.
    public var humanAgent = 0
    /// Templates (greeting, email collect, CSAT), activity and sender-less system messages.
    public var template = 0
    /// Private notes, whoever wrote them. Never customer input.
    public var privateNotes = 0
    /// Widget submissions (`input_select`, `form`, `input_email`, `input_csat` answers), each once.
    public var submissions = 0

    public init() {}
}

/// One customer input kept in ``ConversationState/lastCustomerMessages``.
public struct CustomerInput: Sendable, Equatable, Codable {
    public enum Kind: String, Sendable, Codable {
        /// An incoming message (`text` is its content, empty for attachments only).
        case message
        /// A widget answer (`text` is ``Chatwoot/SubmittedAnswer/text``).
        case submission
    }

    public var kind: Kind
    public var messageId: Int?
    public var text: String
    /// When Chatwoot created the message (for a submission: when the payload was built).
    public var at: Int64

    public init(kind: Kind, messageId: Int?, text: String, at: Int64) {
        self.kind = kind
        self.messageId = messageId
        self.text = text
        self.at = at
    }
}

/// Who caused a status change, as far as the ledger shows.
public enum StatusCause: Sendable, Equatable, Codable {
    /// This bot's `toggle_status` (a decision asked for exactly this status).
    case bot
    /// A customer message (a resolved conversation returns to `pending`, a snoozed one opens).
    case customer
    /// Someone in Chatwoot: an agent in the dashboard, an automation rule, auto-resolve, or
    /// Chatwoot's own hand-off after a failed delivery. `assigneeId` is the human agent assigned
    /// at the time — the likeliest actor, not proof.
    case agent(assigneeId: Int?)
}

/// One status change.
public struct StatusTransition: Sendable, Equatable, Codable {
    /// `nil` for the first status seen.
    public var from: ConversationStatus?
    public var to: ConversationStatus
    /// The payload's `updated_at` (or the event time when the payload has none).
    public var at: Int64
    /// `nil` for the first status seen, whose cause the ledger does not show.
    public var cause: StatusCause?
    /// The ledger event in which Ledgerbot first saw it (depends on arrival order).
    public var seq: Seq

    public init(from: ConversationStatus?, to: ConversationStatus, at: Int64, cause: StatusCause?, seq: Seq) {
        self.from = from
        self.to = to
        self.at = at
        self.cause = cause
        self.seq = seq
    }
}

/// A status the bot asked Chatwoot for and has not seen applied yet.
public struct RequestedStatus: Sendable, Equatable, Codable {
    public var status: ConversationStatus
    /// The seq of the decision that asked.
    public var decision: Seq

    public init(status: ConversationStatus, decision: Seq) {
        self.status = status
        self.decision = decision
    }
}

/// The reactor's last classification of the customer's input.
public struct IntentScore: Sendable, Equatable, Codable {
    public var name: String
    /// 0…1 when the NLU reports one.
    public var confidence: Double?

    public init(name: String, confidence: Double? = nil) {
        self.name = name
        self.confidence = confidence
    }
}

/// One command of a recorded decision.
public struct EffectReference: Sendable, Equatable, Hashable, Codable {
    /// The decision's seq.
    public var decision: Seq
    /// The command's index in the decision.
    public var command: Int
    /// ``Domain/Command/kind``, e.g. `send_message`.
    public var kind: String

    public init(decision: Seq, command: Int, kind: String) {
        self.decision = decision
        self.command = command
        self.kind = kind
    }
}

/// A command that failed for good (``Domain/EffectResult/Outcome/failed``).
public struct FailedEffect: Sendable, Equatable, Codable {
    public var effect: EffectReference
    /// Chatwoot's HTTP status of the last attempt (`nil` for a transport error).
    public var status: Int?
    public var error: String?
    /// The seq of the `effect.result` event.
    public var seq: Seq

    public init(effect: EffectReference, status: Int?, error: String?, seq: Seq) {
        self.effect = effect
        self.status = status
        self.error = error
        self.seq = seq
    }
}

/// What the bot waits on in a conversation, so the next input is read in that light.
public struct Awaiting: Sendable, Equatable, Codable {
    public enum Kind: String, Sendable, Codable {
        /// A typed answer for the slot ``Awaiting/name``.
        case slot
        /// A choice from an `input_select`, stored in the slot ``Awaiting/name``.
        case select
        /// A submitted `form` (each field fills the slot of its name).
        case form
        /// The result of the lookup ``Awaiting/name``.
        case lookup
        /// The external NLU service's reading of the last customer message.
        case understanding
    }

    public var kind: Kind
    public var name: String
    /// The intent to resume once the answer is in.
    public var intent: String?
    /// Why: `intent` (answering the customer), `auth` (authenticating), `monitor` (a note for agents).
    public var purpose: String?
    /// The decision that asked (set by the projector when it folds that decision; written in
    /// the explanation only for a question the bot waits on again, which an earlier decision asked).
    public var decision: Seq?
    /// For an ``Kind/understanding`` wait: the decision of the widget question it interrupted,
    /// waited on again when the service's answer is a fallback.
    public var resumes: Seq?

    public init(kind: Kind, name: String, intent: String? = nil, purpose: String? = nil, decision: Seq? = nil, resumes: Seq? = nil) {
        self.kind = kind
        self.name = name
        self.intent = intent
        self.purpose = purpose
        self.decision = decision
        self.resumes = resumes
    }

    /// The explanation's form (see ``StateUpdate``). `decision` is there only for a wait an
    /// earlier decision asked: the reactor leaves it unset on the questions it asks itself.
    public var jsonValue: JSONValue {
        var object: [String: JSONValue] = ["kind": .string(kind.rawValue), "name": .string(name)]
        if let intent { object["intent"] = .string(intent) }
        if let purpose { object["purpose"] = .string(purpose) }
        if let resumes { object["resumes"] = .int(Int(resumes)) }
        if let decision { object["decision"] = .int(Int(decision)) }
        return .object(object)
    }

    public init?(_ value: JSONValue) {
        guard let kind = value["kind"]?.stringValue.flatMap(Kind.init(rawValue:)), let name = value["name"]?.stringValue else { return nil }
        self.init(kind: kind, name: name, intent: value["intent"]?.stringValue, purpose: value["purpose"]?.stringValue,
                  decision: value["decision"]?.intValue.flatMap { $0 > 0 ? Seq($0) : nil },
                  resumes: value["resumes"]?.intValue.flatMap { $0 > 0 ? Seq($0) : nil })
    }
}

/// A timer a decision scheduled (``Domain/TimerRequest``) that has not fired yet.
public struct PendingTimer: Sendable, Equatable, Codable {
    public var name: String
    public var dueAt: Int64
    public var decision: Seq
    public var command: Int

    public init(name: String, dueAt: Int64, decision: Seq, command: Int) {
        self.name = name
        self.dueAt = dueAt
        self.decision = decision
        self.command = command
    }
}

/// Another conversation of the same contact, as it stood when this one began.
public struct EarlierConversation: Sendable, Equatable, Codable {
    public var conversationId: Int
    public var status: ConversationStatus?
    public var lastIntent: String?
    public var handoffReason: String?
    /// When it last changed (µs).
    public var lastEventAt: Int64?

    public init(_ state: ConversationState) {
        conversationId = state.address.conversationId
        status = state.status
        lastIntent = state.lastIntent?.name
        handoffReason = state.handoffReason
        lastEventAt = state.lastEventAt
    }

    /// Not resolved: the customer may still be waiting there.
    public var isUnresolved: Bool { status == .open || status == .pending || status == .snoozed }
}
