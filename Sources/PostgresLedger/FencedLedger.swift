import Foundation
import Ledger

/// The ledger as the services of a lease holder see it (projections + reactor, timers, outbox):
/// every append carries the holder's ``LeaseFence``, so the database refuses it once another
/// instance took the lease over, even before this instance notices that it lost it. Reads go
/// to the shared ledger unchanged. Without a fence (before the lease is held, after it is
/// given up) every append is refused.
public final class FencedLedger: LedgerStore, @unchecked Sendable {
    public let ledger: PostgresLedger
    /// Yields when the database refused an append because another instance holds the lease:
    /// the holder's cue to stop deciding before its own lease check notices.
    public let refusals: AsyncStream<Void>
    private let refused: AsyncStream<Void>.Continuation
    private let lock = NSLock()
    private var fence: LeaseFence?

    public init(_ ledger: PostgresLedger) {
        self.ledger = ledger
        (refusals, refused) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1))
    }

    /// Appends carry `fence` from now on; nil refuses them.
    public func hold(_ fence: LeaseFence?) {
        lock.withLock { self.fence = fence }
    }

    public var ledgerID: [UInt8] { ledger.ledgerID }

    /// - Throws: ``LedgerError/Kind/fenced`` without a lease, or when another instance holds it now.
    public func append(_ events: [EventDraft]) async throws -> ClosedRange<Seq> {
        guard let fence = lock.withLock({ fence }) else {
            throw LedgerError(.fenced, "this instance does not hold the lease its deciding services need: append refused")
        }
        do {
            return try await ledger.append(events, fence: fence)
        } catch let error as LedgerError where error.kind == .fenced {
            refused.yield()
            throw error
        }
    }

    public func read(from seq: Seq, limit: Int) async throws -> [LedgerEvent] { try await ledger.read(from: seq, limit: limit) }
    public func headSeq() async -> Seq { await ledger.headSeq() }
    public func committedHeadSeq() async throws -> Seq { try await ledger.committedHeadSeq() }
    public func subscribe() -> AsyncStream<Seq> { ledger.subscribe() }
    public func tail(from seq: Seq) throws -> any LedgerTailing { try ledger.tail(from: seq) }
    /// The shared ledger is closed by its owner, not by one of its users.
    public func close() async {}
    public func health() async -> LedgerHealth { await ledger.health() }
}
