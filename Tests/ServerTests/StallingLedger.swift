import Domain
import Ledger

/// Forwards to a real ledger; while stalled, appends wait until ``resume()``.
final class StallingLedger: LedgerStore, @unchecked Sendable {
    private let base: any LedgerStore
    private let gate = Gate()

    init(base: any LedgerStore) { self.base = base }

    func stall() async { await gate.close() }
    func resume() async { await gate.open() }

    var ledgerID: [UInt8] { base.ledgerID }
    func append(_ events: [EventDraft]) async throws -> ClosedRange<Seq> {
        await gate.pass()
        return try await base.append(events)
    }
    func read(from seq: Seq, limit: Int) async throws -> [LedgerEvent] { try await base.read(from: seq, limit: limit) }
    func headSeq() async -> Seq { await base.headSeq() }
    func subscribe() -> AsyncStream<Seq> { base.subscribe() }
    func tail(from seq: Seq) throws -> any LedgerTailing { try base.tail(from: seq) }
    func close() async { await base.close() }
    func health() async -> LedgerHealth { await base.health() }
}

actor Gate {
    private var closed = false
    private var waiting: [CheckedContinuation<Void, Never>] = []

    func close() { closed = true }

    func open() {
        closed = false
        for waiter in waiting { waiter.resume() }
        waiting = []
    }

    func pass() async {
        guard closed else { return }
        await withCheckedContinuation { waiting.append($0) }
    }
}
