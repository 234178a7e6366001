import Ledger
import PostgresNIO
import Synchronization

/// The connections a deadline's work talks to, closed when the deadline passes.
///
/// postgres-nio's queries do not end on task cancellation: a query to a server that accepted it
/// and never answers (a frozen server, a silent network) waits until TCP gives up, hours later.
/// Closing its connection ends it at once with an error, so the work ends, and with it the wait.
final class DeadlineConnections: Sendable {
    private let state = Mutex<(connections: [PostgresConnection], expired: Bool)>(([], false))

    /// The work uses `connection` from now on; it is closed if the deadline passes.
    /// - Throws: when the deadline has passed already (the work is over).
    func use(_ connection: PostgresConnection) async throws {
        let expired = state.withLock { state in
            if !state.expired { state.connections.append(connection) }
            return state.expired
        }
        if expired {
            try? await connection.close()
            throw CancellationError()
        }
    }

    /// Marks the deadline passed and closes every connection in use.
    fileprivate func expire() async {
        let connections = state.withLock { state in
            state.expired = true
            return state.connections
        }
        for connection in connections { try? await connection.close() }
    }
}

/// Runs `body`, or throws ``LedgerError/Kind/io`` once `duration` has passed: the body is
/// cancelled and the connections it named with ``DeadlineConnections/use(_:)`` are closed, so
/// it ends even while a query waits for a server that does not answer.
func withDeadline<T: Sendable>(_ duration: Duration, _ what: String,
                               _ body: @escaping @Sendable (DeadlineConnections) async throws -> T) async throws -> T {
    let connections = DeadlineConnections()
    return try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await body(connections) }
        group.addTask {
            try await Task.sleep(for: duration)
            return nil
        }
        defer { group.cancelAll() }
        guard let first = try await group.next(), let value = first else {
            await connections.expire()
            throw LedgerError(.io, "\(what) did not finish within \(duration)")
        }
        return value
    }
}

extension PostgresClient {
    /// A transaction on one pooled connection, which `deadline` closes if it passes: the
    /// connection is named before BEGIN is sent, so no statement of the transaction outlives it.
    func withTransaction<T: Sendable>(within deadline: DeadlineConnections, logger: Logger,
                                      _ body: (PostgresConnection) async throws -> T) async throws -> T {
        try await withConnection { connection in
            try await deadline.use(connection)
            return try await connection.withTransaction(logger: logger) { try await body($0) }
        }
    }

    /// A connection from the pool for `body`, which `deadline` closes if it passes.
    func withConnection<T: Sendable>(within deadline: DeadlineConnections, _ body: (PostgresConnection) async throws -> T) async throws -> T {
        try await withConnection { connection in
            try await deadline.use(connection)
            return try await body(connection)
        }
    }
}
