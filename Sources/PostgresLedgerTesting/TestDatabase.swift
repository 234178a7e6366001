import Foundation
import Ledger
import Logging
import PostgresLedger
import PostgresNIO

/// A fresh database per test on the throwaway cluster `tools/test.sh` starts
/// (`LEDGERBOT_TEST_POSTGRES` = its admin URL), dropped afterwards.
///
/// Without that variable the PostgreSQL variants of the tests are skipped — unless
/// `LEDGERBOT_REQUIRE_POSTGRES=1` (CI sets it), which turns the skip into a failure.
public enum TestPostgres {
    public static var adminURL: String? { ProcessInfo.processInfo.environment["LEDGERBOT_TEST_POSTGRES"].flatMap { $0.isEmpty ? nil : $0 } }
    public static var isRequired: Bool { ProcessInfo.processInfo.environment["LEDGERBOT_REQUIRE_POSTGRES"] == "1" }
    public static var isAvailable: Bool { adminURL != nil }

    public struct MissingCluster: Error, CustomStringConvertible {
        public init() {}
        public var description: String { "LEDGERBOT_REQUIRE_POSTGRES=1 but LEDGERBOT_TEST_POSTGRES is not set (tools/test.sh starts a cluster)" }
    }

    /// A new empty database, or nil when no test cluster is available here (the test is then
    /// skipped) — unless one is required, which throws ``MissingCluster``.
    public static func databaseIfAvailable() async throws -> PostgresLocation? {
        guard isAvailable else {
            if isRequired { throw MissingCluster() }
            return nil
        }
        return try await createDatabase()
    }

    /// Creates an empty database and returns where it is.
    public static func createDatabase() async throws -> PostgresLocation {
        guard let adminURL else { throw MissingCluster() }
        var location = try PostgresLocation(url: adminURL)
        let name = "lbt_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(20)
        try await admin(location) { client in
            try await client.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"))
        }
        location.database = String(name)
        return location
    }

    public static func dropDatabase(_ location: PostgresLocation) async {
        guard let adminURL, let admin = try? PostgresLocation(url: adminURL) else { return }
        _ = try? await Self.admin(admin) { client in
            try await client.query(PostgresQuery(unsafeSQL: "DROP DATABASE IF EXISTS \(location.database) WITH (FORCE)"))
        }
    }

    /// Runs `body` with a client connected as the admin URL says, then shuts it down.
    @discardableResult
    public static func admin<T: Sendable>(_ location: PostgresLocation, _ body: @Sendable (PostgresClient) async throws -> T) async throws -> T {
        var configuration = PostgresClient.Configuration(host: location.host, port: location.port, username: location.username,
                                                         password: location.password, database: location.database, tls: .disable)
        configuration.options.maximumConnections = 2
        let client = PostgresClient(configuration: configuration, backgroundLogger: Logger(label: "test.postgres", factory: { _ in SwiftLogNoOpLogHandler() }))
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            return try await body(client)
        }
    }
}
