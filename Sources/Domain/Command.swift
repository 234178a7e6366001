import Chatwoot
import Foundation
import JSONScan

/// One action the reactor asks for. Performed by the outbox as an effect, whose result is
/// recorded in the ledger.
public enum Command: Sendable, Hashable {
    /// Create a message: a reply, a rich message, or (``OutgoingMessage/isPrivate``) a private note.
    case sendMessage(OutgoingMessage)
    /// `toggle_status`: `.open` hands off to humans, `.pending` gives the conversation to the bot.
    case setStatus(ConversationStatusChange)
    case setPriority(Priority?)
    /// The complete hash to store (Chatwoot replaces it): the reactor merges before asking.
    case setCustomAttributes([String: JSONValue])
    case assign(Assignee)
    case typing(on: Bool)
    /// Ask one of the company's systems (an HTTP lookup or action declared in the policy). The
    /// call is recorded fully rendered, so replay and audit see exactly what was asked.
    case lookup(LookupCall)
    /// Wake the reactor at a time (µs since 1970): a `timer.fired` event is recorded then, and
    /// is an input like a message. Used to notice that nobody answered a waiting customer.
    case scheduleTimer(TimerRequest)
    /// Ask the external NLU service (Rasa, Dialogflow, Lex) what the customer meant; its answer
    /// is recorded and becomes the next input.
    case understand(UnderstandRequest)

    /// A stable name for logs, metrics and results.
    public var kind: String {
        switch self {
        case .sendMessage(let message): message.isPrivate ? "private_note" : "send_message"
        case .setStatus: "set_status"
        case .setPriority: "set_priority"
        case .setCustomAttributes: "set_custom_attributes"
        case .assign: "assign"
        case .typing: "typing"
        case .lookup: "lookup"
        case .scheduleTimer: "schedule_timer"
        case .understand: "understand"
        }
    }

    /// Whether the customer can see the outcome (such commands are never sent twice knowingly).
    public var isCustomerVisible: Bool {
        if case .sendMessage(let message) = self { return !message.isPrivate }
        return false
    }
}

extension Command: Codable {
    private enum Keys: String, CodingKey { case kind, message, status, snoozedUntil = "snoozed_until", priority, attributes, assignee, on, call, timer, request }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: Keys.self)
        switch try c.decode(String.self, forKey: .kind) {
        case "send_message", "private_note": self = .sendMessage(try c.decode(OutgoingMessage.self, forKey: .message))
        case "set_status":
            switch try c.decode(String.self, forKey: .status) {
            case "open": self = .setStatus(.open)
            case "resolved": self = .setStatus(.resolved)
            case "pending": self = .setStatus(.pending)
            case "snoozed": self = .setStatus(.snoozed(until: try c.decodeIfPresent(Int64.self, forKey: .snoozedUntil).map { Date(timeIntervalSince1970: TimeInterval($0)) }))
            case let other: throw DecodingError.dataCorruptedError(forKey: .status, in: c, debugDescription: "unknown status \(other)")
            }
        case "set_priority": self = .setPriority(try c.decodeIfPresent(String.self, forKey: .priority).map { Priority(rawValue: $0) })
        case "set_custom_attributes": self = .setCustomAttributes(try c.decode([String: JSONValue].self, forKey: .attributes))
        case "assign": self = .assign(try Self.assignee(c.decode(JSONValue.self, forKey: .assignee)))
        case "typing": self = .typing(on: try c.decode(Bool.self, forKey: .on))
        case "lookup": self = .lookup(try c.decode(LookupCall.self, forKey: .call))
        case "schedule_timer": self = .scheduleTimer(try c.decode(TimerRequest.self, forKey: .timer))
        case "understand": self = .understand(try c.decode(UnderstandRequest.self, forKey: .request))
        case let other: throw DecodingError.dataCorruptedError(forKey: .kind, in: c, debugDescription: "unknown command \(other)")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        try c.encode(kind, forKey: .kind)
        switch self {
        case .sendMessage(let message): try c.encode(message, forKey: .message)
        case .setStatus(let change):
            switch change {
            case .open: try c.encode("open", forKey: .status)
            case .resolved: try c.encode("resolved", forKey: .status)
            case .pending: try c.encode("pending", forKey: .status)
            case .snoozed(let until):
                try c.encode("snoozed", forKey: .status)
                try c.encodeIfPresent(until.map { Int64($0.timeIntervalSince1970) }, forKey: .snoozedUntil)
            }
        case .setPriority(let priority): try c.encode(priority?.rawValue, forKey: .priority)
        case .setCustomAttributes(let attributes): try c.encode(attributes, forKey: .attributes)
        case .assign(let assignee): try c.encode(assignee.jsonValue, forKey: .assignee)
        case .typing(let on): try c.encode(on, forKey: .on)
        case .lookup(let call): try c.encode(call, forKey: .call)
        case .scheduleTimer(let timer): try c.encode(timer, forKey: .timer)
        case .understand(let request): try c.encode(request, forKey: .request)
        }
    }

    private static func assignee(_ value: JSONValue) throws -> Assignee {
        if let team = value["team_id"]?.intValue { return .team(id: team) }
        if let id = value["assignee_id"]?.intValue {
            return value["assignee_type"]?.stringValue == "AgentBot" ? .agentBot(id: id) : .agent(id: id)
        }
        return .unassigned
    }
}

extension Command: JSONWritable {
    /// What ``JSONScan/CanonicalJSONEncoder`` writes through `encode(to:)`, keys in byte order
    /// (replay writes every re-derived decision to compare it with the recorded bytes).
    public func writeJSON(to out: inout [UInt8]) throws {
        var object = JSONObjectWriter(&out)
        switch self {
        case .setCustomAttributes(let attributes):
            try object.value("attributes", JSONValue.object(attributes), &out)
            object.string("kind", kind, &out)
        case .assign(let assignee):
            try object.value("assignee", assignee.jsonValue, &out)
            object.string("kind", kind, &out)
        case .lookup(let call):
            try object.encoded("call", call, &out)
            object.string("kind", kind, &out)
        case .sendMessage(let message):
            object.string("kind", kind, &out)
            try object.value("message", message, &out)
        case .setStatus(let change):
            object.string("kind", kind, &out)
            switch change {
            case .open: object.string("status", "open", &out)
            case .resolved: object.string("status", "resolved", &out)
            case .pending: object.string("status", "pending", &out)
            case .snoozed(let until):
                object.integer("snoozed_until", until.map { Int64($0.timeIntervalSince1970) }, &out)
                object.string("status", "snoozed", &out)
            }
        case .setPriority(let priority):
            object.string("kind", kind, &out)
            try object.value("priority", priority.map { JSONValue.string($0.rawValue) } ?? .null, &out)
        case .typing(let on):
            object.string("kind", kind, &out)
            object.bool("on", on, &out)
        case .scheduleTimer(let timer):
            object.string("kind", kind, &out)
            try object.encoded("timer", timer, &out)
        case .understand(let request):
            object.string("kind", kind, &out)
            try object.encoded("request", request, &out)
        }
        object.close(&out)
    }
}

/// What the reactor decided for one input, recorded (as a `decision` event, before anything is
/// performed) with the explanation the audit trail shows.
public struct Decision: Sendable, Hashable, Codable {
    public var conversation: ConversationAddress
    public var commands: [Command]
    /// Why: rule or intent, NLU ranking, slots, lookups, handoff reason (shape owned by the reactor).
    public var explanation: JSONValue
    /// The bot version that decided, e.g. `support-triage@3`.
    public var policy: String?

    public init(conversation: ConversationAddress, commands: [Command], explanation: JSONValue = .object([:]), policy: String? = nil) {
        self.conversation = conversation
        self.commands = commands
        self.explanation = explanation
        self.policy = policy
    }

    /// Canonical bytes (sorted keys): replay compares these.
    public func encoded() throws -> [UInt8] { try CanonicalBytes.encode(self) }
    public static func decode(_ bytes: [UInt8]) throws -> Decision { try JSONDecoder().decode(Decision.self, from: Data(bytes)) }
}

extension Decision: JSONWritable {
    /// What ``JSONScan/CanonicalJSONEncoder`` writes through `encode(to:)`, keys in byte order.
    public func writeJSON(to out: inout [UInt8]) throws {
        var object = JSONObjectWriter(&out)
        object.key("commands", &out)
        try CanonicalJSONEncoder.appendArray(commands, to: &out) { command, out in try command.writeJSON(to: &out) }
        try object.value("conversation", conversation, &out)
        try object.value("explanation", explanation, &out)
        object.string("policy", policy, &out)
        object.close(&out)
    }
}

/// The recorded form of decisions, effect results and timers: `JSONEncoder`'s bytes with sorted
/// keys and unescaped slashes, written by ``JSONScan/CanonicalJSONEncoder`` (the same bytes,
/// faster), or by `JSONEncoder` itself for what that encoder leaves to it.
public enum CanonicalBytes {
    public static func encode<T: Encodable>(_ value: T) throws -> [UInt8] {
        do {
            return try CanonicalJSONEncoder.encode(value)
        } catch is CanonicalJSONEncoder.Unsupported {
            return try foundationEncoded(value)
        }
    }

    /// The reference: what earlier versions recorded (replay double-checks a difference with it).
    public static func foundationEncoded<T: Encodable>(_ value: T) throws -> [UInt8] { [UInt8](try encoder.encode(value)) }

    private static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()
}

/// The outcome of performing one command, recorded as an `effect.result` event whose causation
/// is the decision.
public struct EffectResult: Sendable, Hashable, Codable {
    public enum Outcome: String, Sendable, Codable {
        case ok
        /// Found already done after a restart (the message's echo was in the ledger): not re-sent.
        case recovered
        /// Failed for good (a 4xx other than 429, or retries exhausted).
        case failed
    }

    public var decision: UInt64
    public var command: Int
    public var kind: String
    public var outcome: Outcome
    /// Chatwoot's HTTP status of the last attempt (nil for a transport error).
    public var status: Int?
    /// The Chatwoot message id, for created messages.
    public var messageId: Int?
    public var attempts: Int
    public var latencyMilliseconds: Int
    /// A bounded excerpt of Chatwoot's error body or the transport error.
    public var error: String?
    /// What a lookup answered (see ``LookupAnswer``); nil for Chatwoot calls.
    public var data: JSONValue?

    public init(decision: UInt64, command: Int, kind: String, outcome: Outcome, status: Int? = nil, messageId: Int? = nil,
                attempts: Int, latencyMilliseconds: Int, error: String? = nil, data: JSONValue? = nil) {
        self.data = data
        self.decision = decision
        self.command = command
        self.kind = kind
        self.outcome = outcome
        self.status = status
        self.messageId = messageId
        self.attempts = attempts
        self.latencyMilliseconds = latencyMilliseconds
        self.error = error
    }

    enum CodingKeys: String, CodingKey {
        case decision, command, kind, outcome, status, attempts, error, data
        case messageId = "message_id"
        case latencyMilliseconds = "latency_ms"
    }

    public func encoded() throws -> [UInt8] { try CanonicalBytes.encode(self) }

    /// Read with the scanner (replay reads one per performed command), or, for anything that
    /// reading is not sure of, with `JSONDecoder` — which also words the error.
    public static func decode(_ bytes: [UInt8]) throws -> EffectResult {
        if let result = bytes.withUnsafeBytes(scanned) { return result }
        return try JSONDecoder().decode(EffectResult.self, from: Data(bytes))
    }

    /// The result as `JSONDecoder` would decode it, or nil when the bytes are anything but the
    /// plain shape ``encoded()`` writes (then `JSONDecoder` decides).
    static func scanned(_ bytes: UnsafeRawBufferPointer) -> EffectResult? {
        guard let root = JSONObjectView(bytes) else { return nil }
        /// `.some(nil)`: absent or null; nil: present but not a plain integer.
        func optionalInt(_ key: String) -> Int?? {
            guard let range = root.range(key), !JSONScanner.isNull(in: bytes, at: range) else { return .some(nil) }
            return JSONScanner.integer(in: bytes, at: range).flatMap { Int(exactly: $0) }.map { .some($0) }
        }
        func optionalString(_ key: String) -> String?? {
            guard let range = root.range(key), !JSONScanner.isNull(in: bytes, at: range) else { return .some(nil) }
            guard root.first(range) == UInt8(ascii: "\""), !JSONScanner.mayHoldUnicodeEscape(in: bytes, at: range) else { return nil }
            return root.string(key).map { .some($0) }
        }
        guard let decisionRange = root.range("decision"), let decision = JSONScanner.integer(in: bytes, at: decisionRange).flatMap(UInt64.init(exactly:)),
              let command = optionalInt("command") ?? nil, let attempts = optionalInt("attempts") ?? nil,
              let latency = optionalInt("latency_ms") ?? nil,
              let kind = optionalString("kind") ?? nil, let outcome = (optionalString("outcome") ?? nil).flatMap(Outcome.init(rawValue:)),
              let status = optionalInt("status"), let messageId = optionalInt("message_id"), let error = optionalString("error")
        else { return nil }
        var data: JSONValue?
        if let range = root.range("data"), !JSONScanner.isNull(in: bytes, at: range) {
            guard let value = JSONValue(validated: bytes, at: range) else { return nil }
            data = value
        }
        return EffectResult(decision: decision, command: command, kind: kind, outcome: outcome, status: status, messageId: messageId,
                            attempts: attempts, latencyMilliseconds: latency, error: error, data: data)
    }
}

/// The `source_id` the outbox puts on every message it creates, so its echo can be matched.
public enum EffectSourceID {
    public static func make(decision: UInt64, command: Int) -> String { "ledgerbot:\(decision):\(command)" }

    public static func parse(_ sourceID: String) -> (decision: UInt64, command: Int)? {
        let parts = sourceID.split(separator: ":")
        guard parts.count == 3, parts[0] == "ledgerbot", let decision = UInt64(parts[1]), let command = Int(parts[2]) else { return nil }
        return (decision, command)
    }
}

/// A timer the reactor asks for (see ``Command/scheduleTimer(_:)``).
public struct TimerRequest: Sendable, Hashable, Codable {
    /// What the timer is for, e.g. `wait:0` (the first waiting rule of the policy).
    public var name: String
    /// When it is due, µs since 1970 (the deciding event's time plus a delay: no clock is read).
    public var dueAt: Int64

    public init(name: String, dueAt: Int64) {
        self.name = name
        self.dueAt = dueAt
    }

    enum CodingKeys: String, CodingKey {
        case name
        case dueAt = "due_at"
    }
}

/// The body of a `timer.fired` event (causation: the decision that scheduled it).
public struct TimerFired: Sendable, Hashable, Codable {
    public var name: String
    public var dueAt: Int64
    public var decision: UInt64
    public var command: Int

    public init(name: String, dueAt: Int64, decision: UInt64, command: Int) {
        self.name = name
        self.dueAt = dueAt
        self.decision = decision
        self.command = command
    }

    enum CodingKeys: String, CodingKey {
        case name, decision, command
        case dueAt = "due_at"
    }

    public func encoded() throws -> [UInt8] { try CanonicalBytes.encode(self) }
    public static func decode(_ bytes: [UInt8]) throws -> TimerFired { try JSONDecoder().decode(TimerFired.self, from: Data(bytes)) }
}

/// One message for the external NLU service (see ``Command/understand(_:)``).
public struct UnderstandRequest: Sendable, Hashable, Codable {
    /// `rasa`, `dialogflow_es`, `dialogflow_cx`, `lex_v2`.
    public var engine: String
    public var text: String
    /// Stable per conversation, so the service keeps its own dialog context across turns.
    public var session: String
    public var messageId: String?

    public init(engine: String, text: String, session: String, messageId: String? = nil) {
        self.engine = engine
        self.text = text
        self.session = session
        self.messageId = messageId
    }

    enum CodingKeys: String, CodingKey {
        case engine, text, session
        case messageId = "message_id"
    }
}
