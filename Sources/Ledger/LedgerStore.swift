/// The storage seam of the ledger: what the rest of Ledgerbot needs from it.
/// ``FileLedger`` is the embedded implementation; a PostgreSQL one can follow.
public protocol LedgerStore: Sendable {
    /// Appends `events` as one atomic batch and returns their seqs.
    /// Returns only once the batch is durable (per the store's durability setting).
    func append(_ events: [EventDraft]) async throws -> ClosedRange<Seq>

    /// Up to `limit` committed events starting at `seq`, in order.
    func read(from seq: Seq, limit: Int) async throws -> [LedgerEvent]

    /// The last committed seq (0 when empty).
    func headSeq() async -> Seq

    /// Yields the new head seq after each commit.
    func subscribe() -> AsyncStream<Seq>
}
