/// The storage seam of the ledger: what the rest of Ledgerbot needs from it.
/// ``FileLedger`` is the embedded default; `PostgresLedger` (module `PostgresLedger`) keeps the
/// same contract in a database several bot instances share.
public protocol LedgerStore: Sendable {
    /// Identifies the ledger (16 random bytes chosen at creation); projections record it so they
    /// are never applied to another ledger.
    var ledgerID: [UInt8] { get }

    /// Appends `events` as one atomic batch and returns their seqs (consecutive, gap-free).
    /// Returns only once the batch is durable (per the store's durability setting).
    func append(_ events: [EventDraft]) async throws -> ClosedRange<Seq>

    /// Up to `limit` committed events starting at `seq`, in order.
    func read(from seq: Seq, limit: Int) async throws -> [LedgerEvent]

    /// The last committed seq (0 when empty).
    func headSeq() async -> Seq

    /// The last committed seq as the backend has it now. A shared backend's ``headSeq()`` is what
    /// this process has heard of, which can lag another instance's commits for a moment; what
    /// must see every commit (the reactor looking for decisions already made) asks this.
    func committedHeadSeq() async throws -> Seq

    /// Yields the new head seq after each commit (including other writers' commits where the
    /// backend is shared). The first element is the head at subscription.
    func subscribe() -> AsyncStream<Seq>

    /// A reader that follows the ledger from `seq`, cheaper than repeated ``read(from:limit:)``.
    func tail(from seq: Seq) throws -> any LedgerTailing

    /// Finishes queued appends and releases the store's resources.
    func close() async

    /// Whether appends can succeed now, for `GET /healthz`.
    func health() async -> LedgerHealth
}

/// What `GET /healthz` reports about the ledger.
public struct LedgerHealth: Sendable, Equatable {
    /// False when appends fail (a stopped file ledger, an unreachable database).
    public var writable: Bool
    /// Seconds since the last durable append by this process (nil before the first).
    public var secondsSinceLastAppend: Double?

    public init(writable: Bool, secondsSinceLastAppend: Double? = nil) {
        self.writable = writable
        self.secondsSinceLastAppend = secondsSinceLastAppend
    }
}

/// Follows a growing ledger: each ``read(through:limit:)`` returns the events after the previous one.
/// Not for concurrent use: one task reads a tail at a time (hence `@unchecked Sendable`).
public protocol LedgerTailing: AnyObject, Sendable {
    /// The next seq this tail will return.
    var nextSeq: Seq { get }
    /// Events from ``nextSeq`` through `through` (at most `limit`).
    func read(through: Seq, limit: Int) async throws -> [LedgerEvent]
}

extension LedgerTail: @unchecked Sendable, LedgerTailing {}

extension LedgerTailing {
    /// ``read(through:limit:)`` up to a head the ledger reported committed: every seq through it
    /// must be there, so a read that ends before it is damage, not the end of the ledger.
    /// - Throws: ``LedgerError/Kind/corrupted`` naming the missing seqs.
    public func read(throughCommitted head: Seq, limit: Int) async throws -> [LedgerEvent] {
        let events = try await read(through: head, limit: limit)
        if events.isEmpty, nextSeq <= head {
            throw LedgerError(.corrupted, "seq \(nextSeq) … \(head) are missing although the ledger's head is \(head)")
        }
        return events
    }
}

extension LedgerStore {
    /// A backend with one writer knows its head.
    public func committedHeadSeq() async throws -> Seq { await headSeq() }
}

extension FileLedger {
    public func health() async -> LedgerHealth {
        LedgerHealth(writable: isWritable, secondsSinceLastAppend: secondsSinceLastAppend)
    }

    public func tail(from seq: Seq) throws -> any LedgerTailing {
        try LedgerTail(directory: directory, from: seq, dictionaries: configuration.readableDictionaries)
    }
}

extension EventDraft {
    /// Checks the limits every backend enforces (field sizes, causation ≥ 1).
    public func validate() throws { try EventCoding.validate(self) }
}
