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
public final class PostgresLease: @unchecked Sendable {
    public let name: String
    private let connection: PostgresConnection
    private let key: Int64
    private let logger: Logger

    private init(name: String, key: Int64, connection: PostgresConnection, logger: Logger) {
        self.name = name
        self.key = key
        self.connection = connection
        self.logger = logger
    }

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
                connection = try await PostgresConnection.connect(configuration: try location.connectionConfiguration(), id: 1,
                                                                  logger: Logger(label: "ledgerbot.postgres.lease", factory: { _ in SwiftLogNoOpLogHandler() }))
            } catch {
                logger.warning("cannot reach PostgreSQL for the \(name) lease; retrying", metadata: ["error": "\(describe(error))"])
                try await Task.sleep(for: retry)
                continue
            }
            var acquired = false
            do {
                for try await granted in try await connection.query("SELECT pg_try_advisory_lock(\(key))", logger: logger).decode(Bool.self) {
                    acquired = granted
                }
            } catch {
                logger.warning("advisory lock query failed; retrying", metadata: ["error": "\(describe(error))"])
            }
            if acquired { return PostgresLease(name: name, key: key, connection: connection, logger: logger) }
            try? await connection.close()
            if !announced {
                announced = true
                onWaiting()
            }
            try await Task.sleep(for: retry)
        }
    }

    /// Returns when the lease is lost (its connection broke), checking every `interval`;
    /// throws on cancellation.
    public func watch(interval: Duration = .milliseconds(500)) async throws {
        while true {
            try await Task.sleep(for: interval)
            do {
                var held = false
                for try await still in try await connection.query("""
                    SELECT count(*) > 0 FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid() AND granted
                      AND ((classid::bigint << 32) | objid::bigint) = \(key)
                    """, logger: logger).decode(Bool.self) {
                    held = still
                }
                if !held { return }
            } catch {
                if Task.isCancelled { throw CancellationError() }
                return
            }
        }
    }

    /// Gives the lease up (closing its session releases the lock).
    public func release() async {
        try? await connection.close()
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
