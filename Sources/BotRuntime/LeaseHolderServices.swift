import Ledger
import Logging
import PostgresLedger
import ServiceLifecycle

/// Runs `services` (projections + reactor, timers, outbox) only while this instance holds the
/// named lease on the shared PostgreSQL ledger; the other instances ingest webhooks and wait.
///
/// Taking over is the restart path the file ledger already has: the new holder folds the ledger
/// from its own checkpoint, decides the inputs no decision answers yet, and its outbox resumes
/// decisions without results (waiting for the echo of a message the previous holder may have
/// sent before re-sending it). Losing the lease (its session broke) stops the services at once
/// and fails the process: another instance may be deciding already, and a supervisor restarts
/// this one as a standby. Until this instance notices, the lease's fence keeps it from adding
/// anything: once another instance holds the lease, its appends are refused (``FencedLedger``).
struct LeaseHolderServices: Service {
    let lease: String
    let location: PostgresLocation
    let retry: Duration
    let services: [any Service]
    /// The ledger `services` append through: fenced with the lease while it is held.
    let ledger: FencedLedger
    let logger: Logger

    struct LeaseLost: Error, CustomStringConvertible {
        var name: String
        var description: String {
            "lost the \(name) lease (its PostgreSQL session ended, or another instance holds it now): stopped deciding so that no two instances answer the same conversation; restart this instance"
        }
    }

    func run() async throws {
        let name = lease, location = location, retry = retry, logger = logger
        let held: PostgresLease
        do {
            held = try await cancelWhenGracefulShutdown {
                try await PostgresLease.acquire(name, at: location, retry: retry, logger: logger) {
                    logger.notice("another instance holds the \(name) lease: this one ingests webhooks and stands by")
                }
            }
        } catch is CancellationError {
            return
        }
        logger.notice("\(name) lease acquired: this instance folds, decides and performs effects", metadata: ["lease.generation": "\(held.fence.generation)"])
        let refusals = ledger.hold(held.fence)
        defer { ledger.release() }
        let group = ServiceGroup(configuration: .init(services: services, logger: logger))
        let lost: Bool
        do {
            lost = try await withThrowingTaskGroup(of: Bool.self) { tasks in
                tasks.addTask {
                    try await withGracefulShutdownHandler {
                        try await group.run()
                    } onGracefulShutdown: {
                        Task { await group.triggerGracefulShutdown() }
                    }
                    return false
                }
                tasks.addTask {
                    try await held.watch()
                    return true
                }
                // The database refusing an append of this holder is the surest sign of all.
                tasks.addTask {
                    for await _ in refusals { return true }
                    return false
                }
                let first = try await tasks.next() ?? false
                tasks.cancelAll()
                return first
            }
        } catch let error as LedgerError where error.kind == .fenced {
            // A service stopped on the refusal before the refusal's own task ended the group.
            await held.release()
            throw LeaseLost(name: name)
        } catch {
            await held.release()
            throw error
        }
        await held.release()
        if lost { throw LeaseLost(name: name) }
    }
}
