/// A position in the ledger: global, gap-free, starting at 1.
public typealias Seq = UInt64

/// An event to append. The ledger assigns its ``Seq``.
public struct EventDraft: Sendable, Equatable {
    /// The stream the event belongs to, e.g. `"1/128"` (account/conversation). May be empty.
    public var stream: String
    /// The event type, e.g. `"webhook.received"`.
    public var type: String
    /// When the event was recorded, in microseconds since 1970-01-01 UTC. Supplied by the
    /// caller so imports keep their original times and the ledger never reads a clock.
    public var time: Int64
    /// The seq of the event that caused this one, if any.
    public var causation: Seq?
    /// The payload, stored byte for byte (for a webhook: the raw request body).
    public var body: [UInt8]
    /// Facts about the body kept beside it (for a webhook: delivery id, content type,
    /// signature timestamp), normally a compact JSON object; empty when there are none.
    public var meta: [UInt8]

    public init(stream: String, type: String, time: Int64, causation: Seq? = nil, body: [UInt8], meta: [UInt8] = []) {
        self.stream = stream
        self.type = type
        self.time = time
        self.causation = causation
        self.body = body
        self.meta = meta
    }
}

/// An event read back from the ledger.
public struct LedgerEvent: Sendable, Equatable {
    public var seq: Seq
    public var stream: String
    public var type: String
    public var time: Int64
    public var causation: Seq?
    public var body: [UInt8]
    public var meta: [UInt8]
    /// True when the body was left unread and `body` is empty: a cursor reading summaries only
    /// (``LedgerCursor/init(directory:from:through:dictionaries:decoders:deferringBodies:)``) leaves
    /// a body summarized by its meta where the frame stores it; ``LedgerCursor/body(of:)`` reads it.
    public internal(set) var isBodyDeferred = false

    public init(seq: Seq, stream: String, type: String, time: Int64, causation: Seq?, body: [UInt8], meta: [UInt8] = []) {
        self.seq = seq
        self.stream = stream
        self.type = type
        self.time = time
        self.causation = causation
        self.body = body
        self.meta = meta
    }

    public init(seq: Seq, draft: EventDraft) {
        self.init(seq: seq, stream: draft.stream, type: draft.type, time: draft.time, causation: draft.causation, body: draft.body, meta: draft.meta)
    }

    /// The event to append again (a copy, an import). Never of an event read without its body:
    /// that would store an empty body in its place.
    public var draft: EventDraft {
        precondition(!isBodyDeferred, "seq \(seq) was read without its body (LedgerCursor.whole(_:) reads it)")
        return EventDraft(stream: stream, type: type, time: time, causation: causation, body: body, meta: meta)
    }
}
