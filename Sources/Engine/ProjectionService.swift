import Chatwoot
import Ledger
import Logging
import Projections
import ServiceLifecycle

/// Keeps the projections (conversation state and the SQLite read models) up to date with the
/// ledger while `serve` runs: catches up from the checkpoint on start, then applies each batch
/// of new events in one transaction with its checkpoint.
///
/// It owns its own connection to `DATA/index.sqlite` (the ledger's indexer has another; WAL and
/// the busy timeout serialise the two writers).
public actor ProjectionService: Service {
    private let ledger: any LedgerStore
    private let directory: LedgerDirectory
    private let projections: ProjectionStore
    private let logger: Logger
    private var waiters: [(Seq, CheckedContinuation<Void, Never>)] = []

    public init(ledger: any LedgerStore, directory: LedgerDirectory, logger: Logger) throws {
        self.ledger = ledger
        self.directory = directory
        self.logger = logger
        projections = try ProjectionStore(index: LedgerIndex(path: directory.indexPath, ledgerID: directory.readManifest()))
    }

    public func run() async throws {
        try await cancelWhenGracefulShutdown { try await self.follow() }
    }

    private func follow() async throws {
        let updates = ledger.subscribe()
        let report = try projections.catchUp(directory: directory, through: await ledger.headSeq())
        wakeWaiters()
        if report.rebuilt { logger.warning("projections rebuilt", metadata: ["reason": "\(projections.resetReason ?? "schema change")"]) }
        let tail = try LedgerTail(directory: directory, from: projections.checkpoint + 1)
        for await head in updates {
            while tail.nextSeq <= head {
                let events = try tail.read(through: head, limit: 1024)
                if events.isEmpty { break }
                try projections.apply(events)
                wakeWaiters()
            }
        }
    }

    /// Returns once every event through `seq` is folded in.
    public func waitUntilApplied(_ seq: Seq) async {
        if projections.checkpoint >= seq { return }
        await withCheckedContinuation { waiters.append((seq, $0)) }
    }

    private func wakeWaiters() {
        let reached = projections.checkpoint
        waiters.removeAll { seq, continuation in
            guard seq <= reached else { return false }
            continuation.resume()
            return true
        }
    }

    /// The projected state of one conversation (nil when the ledger has none).
    public func state(of conversation: ConversationAddress) -> ConversationState? { projections[conversation] }

    /// The last ledger seq folded into the projections.
    public var checkpoint: Seq { projections.checkpoint }
}
