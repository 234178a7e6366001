import Foundation
import Ledger
import Logging
import PostgresNIO

/// An exclusive, self-expiring lease between bot instances sharing a PostgreSQL ledger: a
/// session-level advisory lock held on a connection of its own. The lock lives exactly as long
/// as that session, so when the holder dies (kill -9, machine lost) PostgreSQL releases it as
/// soon as it notices the connection is gone — immediately for a closed socket, within the TCP
/// keepalive time for a silent network — and the next instance acquires it.
///
/// Used for the reactor: exactly one instance folds, decides and performs effects at a time;
/// every instance ingests webhooks.
///
/// A holder learns that it lost the lock only when it next checks (``watch(interval:)``), so each
/// acquisition also raises the lease's generation, its ``fence``: the holder's appends carry it
/// (``FencedLedger``), and the database refuses them once a newer holder raised it.
public final class PostgresLease: @unchecked Sendable {
    public let name: String
    /// This holder's generation of the lease: its appends are refused once another holds it.
    public let fence: LeaseFence
    private let location: PostgresLocation
    private let connection: PostgresConnection
    /// The server process of the lease's session: the lock belongs to it.
    private let backendPID: Int32
    private let key: Int64
    private let logger: Logger

    private init(name: String, location: PostgresLocation, key: Int64, connection: PostgresConnection, backendPID: Int32, generation: Int64, logger: Logger) {
        self.name = name
        fence = LeaseFence(name: name, generation: generation)
        self.location = location
        self.key = key
        self.connection = connection
        self.backendPID = backendPID
        self.logger = logger
    }

    private static var quiet: Logger { Logger(label: "ledgerbot.postgres.lease", factory: { _ in SwiftLogNoOpLogHandler() }) }

    /// Waits until the lease is this instance's (trying every `retry`), or throws on cancellation.
    /// - Parameter onWaiting: called once when another instance holds it.
    public static func acquire(_ name: String, at location: PostgresLocation, retry: Duration = .seconds(1), logger: Logger,
                               onWaiting: @Sendable () -> Void = {}) async throws -> PostgresLease {
        let key = Self.key(for: name)
        var announced = false
        while true {
            try Task.checkCancellation()
            let connection: PostgresConnection
            do {
                connection = try await PostgresConnection.connect(to: location, id: 1, within: .seconds(10), logger: quiet)
            } catch {
                logger.warning("cannot reach PostgreSQL for the \(name) lease; retrying", metadata: ["error": "\(describe(error))"])
                try await Task.sleep(for: retry)
                continue
            }
            var acquired: (Bool, Int32)?
            do {
                acquired = try await withDeadline(.seconds(10), "asking for the \(name) lease") { deadline in
                    try await deadline.use(connection)
                    var answer: (Bool, Int32)?
                    for try await row in try await connection.query("SELECT pg_try_advisory_lock(\(key)), pg_backend_pid()", logger: logger)
                        .decode((Bool, Int32).self) {
                        answer = row
                    }
                    return answer
                }
            } catch {
                logger.warning("advisory lock query failed; retrying", metadata: ["error": "\(describe(error))"])
            }
            if let (granted, pid) = acquired, granted {
                do {
                    let generation = try await withDeadline(.seconds(30), "raising the lease's generation") { deadline in
                        try await deadline.use(connection)
                        return try await raiseGeneration(of: name, on: connection, logger: logger)
                    }
                    return PostgresLease(name: name, location: location, key: key, connection: connection, backendPID: pid, generation: generation, logger: logger)
                } catch {
                    // Closing the session gives the lock up again; the next round starts over.
                    logger.warning("cannot raise the \(name) lease's generation; retrying", metadata: ["error": "\(describe(error))"])
                    try? await connection.close()
                    try await Task.sleep(for: retry)
                    continue
                }
            }
            try? await connection.close()
            if !announced {
                announced = true
                onWaiting()
            }
            try await Task.sleep(for: retry)
        }
    }

    /// Raises the lease's generation and returns it. The update waits for fenced appends of the
    /// previous holder still in their transaction (they read the row `FOR SHARE`); later ones
    /// see the new generation and are refused.
    private static func raiseGeneration(of name: String, on connection: PostgresConnection, logger: Logger) async throws -> Int64 {
        var generation: Int64?
        for try await value in try await connection.query("""
            INSERT INTO ledgerbot_leases (name, generation) VALUES (\(name), 1)
            ON CONFLICT (name) DO UPDATE SET generation = ledgerbot_leases.generation + 1 RETURNING generation
            """, logger: logger).decode(Int64.self) {
            generation = value
        }
        guard let generation else { throw LedgerError(.io, "raising the \(name) lease's generation returned no row") }
        return generation
    }

    /// Returns when the lease is lost, checking every `interval` from a second connection that
    /// the lease's session still holds the lock (a session cut by the server or the network is
    /// not always noticed by its own client). Three checks in a row that cannot reach the
    /// server count as lost too: better to stop deciding than to decide twice. Throws on
    /// cancellation.
    ///
    /// - Parameters:
    ///   - keepAlive: how often the lease's own session runs a statement. Left idle, a server's
    ///     `idle_session_timeout` (or a firewall's idle timeout) ended it, and with it the lease,
    ///     every few minutes.
    ///   - answerWithin: how long the session's statement and each check may take. A session
    ///     that does not answer in time is closed and the lease counts as lost: its holder cannot
    ///     tell whether the server still sees it, and a frozen server or a silent network kept a
    ///     statement waiting until TCP gave up — all that time the holder went on deciding.
    public func watch(interval: Duration = .milliseconds(500), keepAlive: Duration = .seconds(10),
                      answerWithin: Duration = .seconds(5)) async throws {
        var monitor: PostgresConnection?
        var unreachable = 0
        var lastUse = ContinuousClock.now
        defer { if let monitor { Task { try? await monitor.close() } } }
        while true {
            try await Task.sleep(for: interval)
            if ContinuousClock.now - lastUse >= keepAlive {
                lastUse = .now
                let connection = connection, logger = logger
                do {
                    try await withDeadline(answerWithin, "the \(name) lease's keep-alive") { deadline in
                        try await deadline.use(connection)
                        try await connection.query("SELECT 1", logger: logger)
                    }
                } catch let error as LedgerError {
                    // The deadline closed the session: the lease is given up.
                    logger.warning("the \(name) lease's session did not answer in time; giving the lease up", metadata: ["error": "\(error.message)"])
                    return
                } catch {
                    if Task.isCancelled { throw CancellationError() }
                    // The check below tells whether the session (and its lock) is gone.
                    logger.warning("the \(name) lease's session did not answer", metadata: ["error": "\(describe(error))"])
                }
            }
            do {
                if monitor == nil {
                    monitor = try await PostgresConnection.connect(to: location, id: 2, within: answerWithin, logger: Self.quiet)
                }
                let held = try await Self.holds(monitor!, pid: backendPID, key: key, within: answerWithin, logger: logger)
                unreachable = 0
                if !held { return }
            } catch {
                if Task.isCancelled { throw CancellationError() }
                if let broken = monitor { Task { try? await broken.close() } }
                monitor = nil
                unreachable += 1
                logger.warning("cannot check the \(name) lease", metadata: ["error": "\(describe(error))", "attempt": "\(unreachable)"])
                if unreachable >= 3 { return }
            }
        }
    }

    /// Whether session `pid` holds the advisory lock `key` (answered within `within`, or an error).
    private static func holds(_ connection: PostgresConnection, pid: Int32, key: Int64, within: Duration, logger: Logger) async throws -> Bool {
        try await withDeadline(within, "the lease check") { deadline in
            try await deadline.use(connection)
            var held = false
            for try await still in try await connection.query("""
                SELECT count(*) > 0 FROM pg_locks WHERE locktype = 'advisory' AND pid = \(pid) AND granted
                  AND ((classid::bigint << 32) | objid::bigint) = \(key)
                """, logger: logger).decode(Bool.self) {
                held = still
            }
            return held
        }
    }

    /// Gives the lease up (closing its session releases the lock).
    public func release() async {
        try? await connection.close()
    }

    deinit {
        // A lease dropped without ``release()`` (a caller that threw half-way) still ends its
        // session: PostgresNIO traps when a connection is deinitialized open.
        let connection = connection
        Task { try? await connection.close() }
    }

    /// A stable 64-bit key for a lease name (advisory locks are keyed by integers).
    static func key(for name: String) -> Int64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325 // FNV-1a
        for byte in "ledgerbot.lease.\(name)".utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01B3
        }
        return Int64(bitPattern: hash)
    }
}

/// A lease's generation, the fencing token of its holder (``PostgresLease/fence``): an append
/// made with it commits only while no newer holder exists (``PostgresLedger/append(_:fence:)``).
public struct LeaseFence: Sendable, Equatable, CustomStringConvertible {
    public let name: String
    public let generation: Int64

    public init(name: String, generation: Int64) {
        self.name = name
        self.generation = generation
    }

    public var description: String { "\(name) lease, generation \(generation)" }
}
