import Crypto
import Foundation

/// A client for an external NLU service (Rasa, Dialogflow ES/CX, Amazon Lex V2…).
///
/// This is the seam for the reactor side: it hands one customer message over and gets one
/// ``NLUOutcome`` back. An adapter makes exactly one attempt per call, bounded by its timeout;
/// whether and when to retry is the caller's decision (see ``NLUFailure/retryable``).
///
/// ```swift
/// let nlu: any ExternalNLU = RasaNLU(httpClient: client, configuration: .init(url: rasaURL))
/// let session = NLUSession.sessionId(account: 1, conversation: 128)
/// switch await nlu.understand("I want to cancel my order", session: session, messageId: "4711") {
/// case .understood(let result): print(result.intent ?? "no match", result.confidence ?? 0)
/// case .failed(let failure): print(failure.kind, failure.retryable)
/// }
/// ```
public protocol ExternalNLU: Sendable {
    /// Short, stable name of the engine, also put into ``NLUResult/engine``.
    var engine: String { get }

    /// One attempt; never throws: failures are outcomes.
    ///
    /// - Parameters:
    ///   - text: The customer's message.
    ///   - session: A stable id per conversation (see ``NLUSession/sessionId(account:conversation:)``);
    ///     stateful services (Dialogflow, Lex) keep their dialog state under it.
    ///   - messageId: The message's id, forwarded where the service accepts one (Rasa).
    func understand(_ text: String, session: String, messageId: String?) async -> NLUOutcome

    /// Whether a call moves the service's dialog on (Dialogflow's contexts and pages, Lex's
    /// slots) and may run its fulfillment: such a call is not sent twice on a doubt — only after
    /// a 429, which the service refused before doing anything — nor made by `replay --live`.
    /// No default: an adapter that got it wrong by omission would be retried into a double fulfillment.
    var keepsDialogState: Bool { get }
}

/// What one attempt produced.
public enum NLUOutcome: Sendable, Hashable {
    case understood(NLUResult)
    case failed(NLUFailure)

    /// The result, or `nil` for a failure.
    public var result: NLUResult? {
        if case .understood(let result) = self { return result }
        return nil
    }

    /// The failure, or `nil` for a result.
    public var failure: NLUFailure? {
        if case .failed(let failure) = self { return failure }
        return nil
    }
}

/// One intent and how confident the service is in it.
public struct NLURankedIntent: Sendable, Hashable, Codable {
    public var intent: String
    /// Between 0 and 1, or `nil` where the service reports none (Lex's `FallbackIntent`).
    public var confidence: Double?

    public init(intent: String, confidence: Double?) {
        self.intent = intent
        self.confidence = confidence
    }
}

/// A value the service extracted from the message (Rasa entity, Dialogflow parameter, Lex slot).
public struct NLUEntity: Sendable, Hashable, Codable {
    /// The entity, parameter or slot name.
    public var entity: String
    /// The value as text: strings as they are, numbers without a trailing `.0`, structured values
    /// as compact JSON with sorted keys.
    public var value: String
    /// Character offsets in the message, where the service reports them (Rasa).
    public var start: Int?
    public var end: Int?
    /// The component that extracted it, where the service reports one (Rasa).
    public var extractor: String?

    public init(entity: String, value: String, start: Int? = nil, end: Int? = nil, extractor: String? = nil) {
        self.entity = entity
        self.value = value
        self.start = start
        self.end = end
        self.extractor = extractor
    }
}

/// The service's understanding of one message, in a shape common to all engines.
public struct NLUResult: Sendable, Hashable, Codable {
    /// The matched intent; `nil` when the service matched nothing (Rasa `nlu_fallback`,
    /// Dialogflow ES fallback intents, Dialogflow CX `NO_MATCH`/`NO_INPUT`, Lex `FallbackIntent`).
    public var intent: String?
    /// The service's confidence in its best guess (even on no match, where it reports one).
    public var confidence: Double?
    /// Candidate intents, best first, as reported by the service.
    public var ranking: [NLURankedIntent]
    public var entities: [NLUEntity]
    /// Text the service proposes as the answer (Dialogflow fulfillment, CX response messages,
    /// Lex messages), several messages joined by a blank line.
    public var reply: String?
    /// The service's next step: Dialogflow ES `action`, Dialogflow CX current page display name,
    /// Lex dialog action type (`ElicitSlot`, `Close`, …).
    public var action: String?
    /// Whether the intent has everything it needs: Dialogflow ES `allRequiredParamsPresent`,
    /// Lex intent state `Fulfilled`/`ReadyForFulfillment`; `nil` where the service does not say.
    public var complete: Bool?
    /// Which adapter produced this (`rasa`, `dialogflow-es`, `dialogflow-cx`, `lex-v2`).
    public var engine: String

    public init(
        intent: String?,
        confidence: Double?,
        ranking: [NLURankedIntent] = [],
        entities: [NLUEntity] = [],
        reply: String? = nil,
        action: String? = nil,
        complete: Bool? = nil,
        engine: String
    ) {
        self.intent = intent
        self.confidence = confidence
        self.ranking = ranking
        self.entities = entities
        self.reply = reply
        self.action = action
        self.complete = complete
        self.engine = engine
    }
}

/// Why an attempt produced no result.
///
/// ``message`` is bounded (``maximumMessageLength``) and never contains a credential: adapters
/// scrub every secret they hold out of it.
public struct NLUFailure: Error, Sendable, Hashable, Codable, CustomStringConvertible {
    public enum Kind: String, Sendable, Hashable, Codable, CaseIterable {
        /// No complete answer within the adapter's timeout (or HTTP 408). Retryable.
        case timeout
        /// HTTP 401/403, or a credential could not be loaded. Not retryable.
        case unauthorized
        /// HTTP 429. Retryable, see ``NLUFailure/retryAfterSeconds``.
        case rateLimited
        /// HTTP 5xx. Retryable.
        case server
        /// The service refused the request itself: any other 4xx (400, 404, 409, 413…). Not retryable.
        case rejected
        /// A 2xx answer that is not the expected JSON, or too large, or a 1xx/3xx. Not retryable.
        case badResponse
        /// Connection refused or reset, DNS, TLS, cancellation… Retryable unless cancelled.
        case transport
    }

    /// Longest ``message``, in characters.
    public static let maximumMessageLength = 240

    public var kind: Kind
    /// The HTTP status, where one was received.
    public var status: Int?
    public var message: String
    /// Whether trying again later may succeed.
    public var retryable: Bool
    /// The service's `Retry-After`, in seconds, where it sent one.
    public var retryAfterSeconds: Int?

    public init(kind: Kind, status: Int? = nil, message: String, retryable: Bool? = nil, retryAfterSeconds: Int? = nil) {
        self.kind = kind
        self.status = status
        self.message = Self.bounded(message)
        self.retryable = retryable ?? kind.isRetryableByDefault
        self.retryAfterSeconds = retryAfterSeconds
    }

    public var description: String {
        var text = "NLUFailure(\(kind.rawValue)"
        if let status { text += ", HTTP \(status)" }
        text += retryable ? ", retryable" : ", final"
        return text + "): " + message
    }

    static func bounded(_ message: String) -> String {
        let singleLine = message.map { $0.isNewline ? " " : $0 }
        guard singleLine.count > maximumMessageLength else { return String(singleLine) }
        return String(singleLine.prefix(maximumMessageLength - 1)) + "…"
    }
}

extension NLUFailure.Kind {
    var isRetryableByDefault: Bool {
        switch self {
        case .timeout, .rateLimited, .server, .transport: true
        case .unauthorized, .rejected, .badResponse: false
        }
    }
}

/// Session ids for the stateful services.
public enum NLUSession {
    /// Longest id every supported service accepts (Dialogflow allows 36 characters).
    public static let maximumLength = 36

    /// A session id that is the same for every message of one conversation:
    /// `ledgerbot-<account>-<conversation>`, or, where that would exceed ``maximumLength``,
    /// `ledgerbot-` and 26 hex digits of the SHA-256 of `<account>:<conversation>`.
    /// Only `[0-9a-z-]` is used, which Dialogflow and Lex (`[0-9a-zA-Z._:-]+`) both accept.
    public static func sessionId(account: Int, conversation: Int) -> String {
        let plain = "ledgerbot-\(account)-\(conversation)"
        if plain.count <= maximumLength { return plain }
        let digest = SHA256.hash(data: Data("\(account):\(conversation)".utf8))
        return "ledgerbot-" + String(digest.hexString.prefix(maximumLength - "ledgerbot-".count))
    }
}

extension ExternalNLU {
    /// The type's name, for conformances (test doubles) that do not name their engine.
    public var engine: String { String(describing: Self.self) }


    /// ``NLUSession/sessionId(account:conversation:)``.
    public static func sessionId(account: Int, conversation: Int) -> String {
        NLUSession.sessionId(account: account, conversation: conversation)
    }
}

extension Sequence where Element == UInt8 {
    var hexString: String {
        let digits: [Character] = Array("0123456789abcdef")
        var text = ""
        for byte in self {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0f)])
        }
        return text
    }
}
