import Ledger
import ServiceLifecycle

/// Keeps the ledger open while the server runs and closes it (finishing queued appends,
/// syncing, releasing the lock) after the HTTP server has stopped on graceful shutdown.
public struct LedgerService: Service {
    let ledger: any LedgerStore

    public init(ledger: any LedgerStore) { self.ledger = ledger }

    public func run() async throws {
        // Cancellation also means "stop": either way, close the ledger.
        try? await gracefulShutdown()
        await ledger.close()
    }
}
