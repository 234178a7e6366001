import Foundation
import Ledger

/// The ledger as the services of a lease holder see it (projections + reactor, timers, outbox):
/// every append carries the holder's ``LeaseFence``, so the database refuses it once another
/// instance took the lease over, even before this instance notices that it lost it. Reads go
/// to the shared ledger unchanged. Without a fence (before the lease is held, after it is
/// given up) every append is refused.
public final class FencedLedger: LedgerStore, @unchecked Sendable {
    public let ledger: PostgresLedger
    private let lock = NSLock()
    private var fence: LeaseFence?
    private var refused: AsyncStream<Void>.Continuation?

    public init(_ ledger: PostgresLedger) {
        self.ledger = ledger
    }

    /// Appends carry `fence` from now on. The stream yields when the database refuses one because
    /// another instance holds the lease: the holder's cue to stop deciding before its own lease
    /// check notices. Each holding has a stream of its own.
    public func hold(_ fence: LeaseFence) -> AsyncStream<Void> {
        let (refusals, refused) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        let previous = lock.withLock { () -> AsyncStream<Void>.Continuation? in
            let previous = self.refused
            self.fence = fence
            self.refused = refused
            return previous
        }
        previous?.finish()
        return refusals
    }

    /// Refuses every append from now on (the lease was given up).
    public func release() {
        let previous = lock.withLock { () -> AsyncStream<Void>.Continuation? in
            let previous = refused
            fence = nil
            refused = nil
            return previous
        }
        previous?.finish()
    }

    public var ledgerID: [UInt8] { ledger.ledgerID }

    /// - Throws: ``LedgerError/Kind/fenced`` without a lease, or when another instance holds it now.
    public func append(_ events: [EventDraft]) async throws -> ClosedRange<Seq> {
        guard let (fence, refused) = lock.withLock({ fence.map { ($0, refused) } }) else {
            throw LedgerError(.fenced, "this instance does not hold the lease its deciding services need: append refused")
        }
        do {
            return try await ledger.append(events, fence: fence)
        } catch let error as LedgerError where error.kind == .fenced {
            refused?.yield()
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
