import Ledger
import PostgresNIO
import Synchronization

/// The connections a deadline's work talks to, closed when the deadline passes.
///
/// postgres-nio's queries do not end on task cancellation: a query to a server that accepted it
/// and never answers (a frozen server, a silent network) waits until TCP gives up, hours later.
/// Closing its connection ends it with an error and frees what it holds.
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

    /// The work is done with `connection` (handed back to the pool, where another may take it):
    /// the deadline no longer closes it.
    func release(_ connection: PostgresConnection) {
        state.withLock { state in state.connections.removeAll { $0 === connection } }
    }

    /// Marks the deadline passed and closes every connection in use.
    func expire() async {
        let connections = state.withLock { state in
            state.expired = true
            return state.connections
        }
        for connection in connections { try? await connection.close() }
    }
}

/// Runs `body`, or throws ``LedgerError/Kind/io`` once `duration` has passed.
///
/// When the deadline passes, the caller goes on at once: the body is cancelled and the
/// connections it named with ``DeadlineConnections/use(_:)`` are closed, which ends its queries,
/// but the caller does not wait for it to end (a query that outlives its closed connection would
/// otherwise hold the caller too). A value the body returns after the deadline is handed to
/// `late` (a connection made too late is closed there).
func withDeadline<T: Sendable>(_ duration: Duration, _ what: String, late: @escaping @Sendable (T) async -> Void = { _ in },
                               _ body: @escaping @Sendable (DeadlineConnections) async throws -> T) async throws -> T {
    let connections = DeadlineConnections()
    let race = DeadlineRace<T>()
    return try await withTaskCancellationHandler {
        try await withCheckedThrowingContinuation { continuation in
            race.start(continuation)
            race.add(Task {
                let result: Result<T, any Error>
                do { result = .success(try await body(connections)) } catch { result = .failure(error) }
                if !race.finish(result), case .success(let value) = result { await late(value) }
            })
            race.add(Task {
                try? await Task.sleep(for: duration)
                guard !Task.isCancelled, race.finish(.failure(LedgerError(.io, "\(what) did not finish within \(duration)"))) else { return }
                await connections.expire()
            })
        }
    } onCancel: {
        // The body is bounded by the caller's cancellation too: its queries end only when their
        // connection closes.
        if race.finish(.failure(CancellationError())) { Task { await connections.expire() } }
    }
}

/// The first of a body, its deadline and the caller's cancellation to finish resumes the caller
/// and cancels the others.
private final class DeadlineRace<T: Sendable>: Sendable {
    private struct State {
        var continuation: CheckedContinuation<T, any Error>?
        var outcome: Result<T, any Error>?
        var tasks: [Task<Void, Never>] = []
    }
    private let state = Mutex(State())

    func start(_ continuation: CheckedContinuation<T, any Error>) {
        let outcome = state.withLock { state -> Result<T, any Error>? in
            if state.outcome == nil { state.continuation = continuation }
            return state.outcome
        }
        // Cancelled before it started.
        if let outcome { continuation.resume(with: outcome) }
    }

    func add(_ task: Task<Void, Never>) {
        let over = state.withLock { state in
            state.tasks.append(task)
            return state.outcome != nil
        }
        if over { task.cancel() }
    }

    /// False when another finished first.
    @discardableResult
    func finish(_ result: Result<T, any Error>) -> Bool {
        let won = state.withLock { state -> (CheckedContinuation<T, any Error>?, [Task<Void, Never>])? in
            guard state.outcome == nil else { return nil }
            state.outcome = result
            defer { state.continuation = nil }
            return (state.continuation, state.tasks)
        }
        guard let (waiting, tasks) = won else { return false }
        for task in tasks { task.cancel() }
        waiting?.resume(with: result)
        return true
    }
}

extension PostgresClient {
    /// A transaction on one pooled connection, which `deadline` closes if it passes: the
    /// connection is named before BEGIN is sent, so no statement of the transaction outlives it.
    func withTransaction<T: Sendable>(within deadline: DeadlineConnections, logger: Logger,
                                      _ body: (PostgresConnection) async throws -> T) async throws -> T {
        try await withConnection { connection in
            try await deadline.use(connection)
            defer { deadline.release(connection) }
            return try await connection.withTransaction(logger: logger) { try await body($0) }
        }
    }

    /// A connection from the pool for `body`, which `deadline` closes if it passes.
    func withConnection<T: Sendable>(within deadline: DeadlineConnections, _ body: (PostgresConnection) async throws -> T) async throws -> T {
        try await withConnection { connection in
            try await deadline.use(connection)
            defer { deadline.release(connection) }
            return try await body(connection)
        }
    }
}

extension PostgresConnection {
    /// A connection to `location` made within `duration`, or ``LedgerError/Kind/io``: a server
    /// that takes the TCP connection and never answers its startup keeps `connect` waiting, and
    /// cancellation does not end it. A connection made after the deadline is closed.
    static func connect(to location: PostgresLocation, id: Int, within duration: Duration, logger: Logger) async throws -> PostgresConnection {
        let configuration = try location.connectionConfiguration()
        return try await withDeadline(duration, "connecting to \(location)", late: { try? await $0.close() }) { _ in
            try await PostgresConnection.connect(configuration: configuration, id: id, logger: logger)
        }
    }
}
