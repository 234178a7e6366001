import Domain
import Ledger
import LedgerbotTesting
import Logging
import Metrics
import Server

/// Ingest over `ledger` with the acknowledgement deadline under test (nil: none) and a backlog limit.
func makeIngest(ledger: any LedgerStore, deadline: Duration?, backlogLimit: Int = ServerConfiguration.defaultBacklogLimit) -> WebhookIngest {
    var configuration = ServerConfiguration()
    configuration.acknowledgementDeadline = deadline
    configuration.backlogLimit = backlogLimit
    return WebhookIngest(ledger: ledger, configuration: configuration, metrics: IngestMetrics(factory: NOOPMetricsHandler.instance),
                         logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
}

/// Forwards to a real ledger; while stalled, appends wait until ``resume()``; while failing, they throw.
final class StallingLedger: LedgerStore, @unchecked Sendable {
    private let base: any LedgerStore
    private let gate = Gate()
    private let failing = LockedBox(false)

    init(base: any LedgerStore) { self.base = base }

    func stall() async { await gate.close() }
    func resume() async { await gate.open() }
    func fail(_ on: Bool) { failing.value = on }

    var ledgerID: [UInt8] { base.ledgerID }
    func append(_ events: [EventDraft]) async throws -> ClosedRange<Seq> {
        await gate.pass()
        if failing.value { throw LedgerError(.io, "write: Input/output error (injected)") }
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
