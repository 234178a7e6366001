import Ledger
import Logging
import PostgresNIO

/// The ledger's schema, versioned in code. Each migration runs once, in a transaction, under an
/// advisory lock, so instances starting together do not race; a database written by a newer
/// build is refused rather than guessed at.
///
/// Schema in the spirit of Message DB: one table of events with a global, gap-free position
/// (`seq`), the stream (`account/conversation`), type, time, causation, the compressed body
/// (same preset dictionaries as the file ledger, named by id), meta, and the event's link in the
/// ``ContentChain``; one row holding the head (its row lock serialises appenders, which is what
/// keeps `seq` gap-free across instances); one row per lease with its generation, the fencing
/// token of the instance holding it.
enum Migrations {
    struct Migration {
        let version: Int
        let summary: String
        let statements: [PostgresQuery]
    }

    static let all: [Migration] = [
        Migration(version: 1, summary: "events, head, stream index", statements: [
            """
            CREATE TABLE ledgerbot_ledger (
                id         integer PRIMARY KEY CHECK (id = 1),
                ledger_id  bytea   NOT NULL,
                head_seq   bigint  NOT NULL,
                head_hash  bytea   NOT NULL
            )
            """,
            """
            CREATE TABLE ledgerbot_events (
                seq         bigint  PRIMARY KEY,
                stream      text    NOT NULL,
                type        text    NOT NULL,
                time        bigint  NOT NULL,
                causation   bigint,
                dictionary  integer NOT NULL,
                raw_length  integer NOT NULL,
                body        bytea   NOT NULL,
                meta        bytea   NOT NULL,
                hash        bytea   NOT NULL
            )
            """,
            "CREATE INDEX ledgerbot_events_stream ON ledgerbot_events (stream, seq)",
        ]),
        // A lease's generation is its fencing token (``LeaseFence``): each new holder raises it,
        // and a fenced append commits only while the generation is still the appender's.
        Migration(version: 2, summary: "lease generations (fencing tokens)", statements: [
            """
            CREATE TABLE ledgerbot_leases (
                name        text    PRIMARY KEY,
                generation  bigint  NOT NULL
            )
            """,
        ]),
    ]

    static var latest: Int { all.last?.version ?? 0 }

    /// Key of the advisory lock taken while migrating (any constant unlikely to collide).
    static let lockKey: Int64 = 0x4C42_4D49_4752_0001

    /// Checks, changing nothing, that the database holds a ledger schema this build can read.
    static func check(_ client: PostgresClient, at location: PostgresLocation, logger: Logger) async throws {
        var exists = false
        for try await found in try await client.query("SELECT to_regclass('ledgerbot_schema') IS NOT NULL", logger: logger).decode(Bool.self) {
            exists = found
        }
        guard exists else {
            throw LedgerError(.notFound, "no Ledgerbot ledger in the database at \(location) (no ledgerbot_schema table): check the database name in the URL")
        }
        _ = try await readableVersion(client.query(versionQuery, logger: logger))
    }

    private static let versionQuery: PostgresQuery = "SELECT coalesce(max(version), 0) FROM ledgerbot_schema"

    /// The schema version `rows` (of ``versionQuery``) name; a version newer than this build's is refused.
    private static func readableVersion(_ rows: PostgresRowSequence) async throws -> Int {
        var current = 0
        for try await version in rows.decode(Int.self) { current = version }
        guard current <= latest else {
            throw LedgerError(.foreign, "the database's ledger schema is version \(current); this build knows up to \(latest): upgrade Ledgerbot")
        }
        return current
    }

    /// Applies the missing migrations and returns their versions.
    static func apply(_ client: PostgresClient, logger: Logger) async throws -> [Int] {
        try await client.withTransaction(logger: logger) { connection in
            // Each statement must see what another instance's migration committed while this one
            // waited for the lock: under a repeatable-read default the snapshot predates it, and
            // the second instance re-ran the first one's CREATE TABLEs.
            try await connection.query("SET TRANSACTION ISOLATION LEVEL READ COMMITTED", logger: logger)
            try await connection.query("SELECT pg_advisory_xact_lock(\(lockKey))", logger: logger)
            try await connection.query("""
                CREATE TABLE IF NOT EXISTS ledgerbot_schema (
                    version integer PRIMARY KEY, summary text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())
                """, logger: logger)
            let current = try await readableVersion(connection.query(versionQuery, logger: logger))
            var applied: [Int] = []
            for migration in all where migration.version > current {
                for statement in migration.statements { try await connection.query(statement, logger: logger) }
                try await connection.query("INSERT INTO ledgerbot_schema (version, summary) VALUES (\(migration.version), \(migration.summary))", logger: logger)
                applied.append(migration.version)
            }
            return applied
        }
    }
}
