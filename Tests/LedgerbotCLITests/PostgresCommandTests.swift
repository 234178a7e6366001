import Foundation
import Ledger
import LedgerbotTesting
import PostgresLedger
import PostgresLedgerTesting
import PostgresNIO
import Testing

/// `ledgerbot ledger … --ledger postgres://…` and `ledger copy`, as a real child process against
/// the throwaway cluster.
@Suite struct PostgresCommandTests {
    private let binary = productsDirectory().appendingPathComponent("ledgerbot")
    private var snapshots: URL { fixturesDirectory().deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("snapshots") }

    private func ledgerbot(_ arguments: [String], environment: [String: String]? = nil) async throws -> (status: Int32, stdout: String, stderr: String) {
        let binary = self.binary
        return try await offPool { try runProcess(binary, arguments, environment: environment) }
    }

    @Test("copy directory → PostgreSQL → directory keeps every event; verify, stats and export work on both")
    func copyRoundTrip() async throws {
        guard let location = try await TestPostgres.databaseIfAvailable() else { return }
        defer { Task { await TestPostgres.dropDatabase(location) } }
        let url = location.description
        let source = TemporaryDirectory(), back = TemporaryDirectory()
        let jsonl = snapshots.appendingPathComponent("booking/ledger.jsonl").path
        #expect(try await ledgerbot(["ledger", "import", "--data", source.path, "--input", jsonl]).status == 0)

        let copy = try await ledgerbot(["ledger", "copy", "--from", source.path, "--to", url, "--format", "json"])
        #expect(copy.status == 0, "\(copy.stderr)")
        let report = try JSONSerialization.jsonObject(with: Data(copy.stdout.utf8)) as! [String: Any]
        #expect(report["equal"] as? Bool == true)
        let events = report["events"] as! Int
        #expect(events > 10)
        #expect(report["source_head_hash"] as? String == report["destination_head_hash"] as? String)

        let verify = try await ledgerbot(["ledger", "verify", "--ledger", url])
        #expect(verify.status == 0)
        #expect(verify.stdout.contains("ledger intact: \(events) events"))
        let stats = try await ledgerbot(["ledger", "stats", "--ledger", url, "--format", "json"])
        #expect((try JSONSerialization.jsonObject(with: Data(stats.stdout.utf8)) as! [String: Any])["events"] as? Int == events)
        // Byte for byte what was imported.
        let exported = try await ledgerbot(["ledger", "export", "--ledger", url])
        #expect(exported.stdout == (try String(contentsOfFile: jsonl, encoding: .utf8)))

        // Replay reads the shared ledger directly and reports exactly what it reports for the directory.
        let replayed = try await ledgerbot(["replay", "--ledger", url])
        #expect(replayed.status == 0, "\(replayed.stdout)\(replayed.stderr)")
        #expect(replayed.stdout == (try await ledgerbot(["replay", "--data", source.path])).stdout)
        #expect(replayed.stdout.contains("Every decision re-derived from the ledger equals the recorded one."))

        let again = try await ledgerbot(["ledger", "copy", "--from", url, "--to", back.path])
        #expect(again.status == 0)
        #expect(again.stdout.contains("equal: same event count and hash chain"))
        #expect(try await ledgerbot(["ledger", "verify", "--data", back.path]).status == 0)
        #expect(try await ledgerbot(["ledger", "export", "--data", back.path]).stdout == exported.stdout)

        // Into a database that holds another ledger: refused. Into one that holds this whole
        // source already: nothing left to copy, and proven equal.
        let other = TemporaryDirectory()
        #expect(try await ledgerbot(["ledger", "import", "--data", other.path, "--input", snapshots.appendingPathComponent("support-triage/ledger.jsonl").path]).status == 0)
        let refused = try await ledgerbot(["ledger", "copy", "--from", other.path, "--to", url])
        #expect(refused.status == 2)
        #expect(refused.stderr.contains("already holds \(events) events"), "\(refused.stderr)")
        let current = try await ledgerbot(["ledger", "copy", "--from", source.path, "--to", url])
        #expect(current.status == 0 && current.stderr.contains("first \(events) events") && current.stdout.contains("equal:"), "\(current.stderr)")
        #expect(try await ledgerbot(["ledger", "export", "--ledger", url]).stdout == exported.stdout)
    }

    /// Every read checks the rows as `verify` does: replay and export fail (exit 2) on an altered
    /// row, a gap and rows missing at the end, where they used to read past them and report.
    @Test(arguments: [("UPDATE ledgerbot_events SET meta = '\\x7b7d'::bytea WHERE seq = 4", "seq 4 differs from what was appended"),
                      ("DELETE FROM ledgerbot_events WHERE seq = 5", "seq 6 follows seq 4: the ledger has a gap"),
                      ("DELETE FROM ledgerbot_events WHERE seq > 9", "are missing although the ledger's head is")])
    func readsFailOnDamageAsVerifyReportsIt(_ damage: String, _ expected: String) async throws {
        guard let location = try await TestPostgres.databaseIfAvailable() else { return }
        defer { Task { await TestPostgres.dropDatabase(location) } }
        let url = location.description
        let imported = try await ledgerbot(["ledger", "import", "--ledger", url, "--input", snapshots.appendingPathComponent("support-triage/ledger.jsonl").path])
        #expect(imported.status == 0, "\(imported.stderr)")
        #expect(try await ledgerbot(["replay", "--ledger", url]).status == 0)
        try await TestPostgres.admin(location) { client in try await client.query(PostgresQuery(unsafeSQL: damage)) }
        #expect(try await ledgerbot(["ledger", "verify", "--ledger", url]).status == 1)
        for command in [["replay", "--ledger", url], ["ledger", "export", "--ledger", url]] {
            let run = try await ledgerbot(command)
            #expect(run.status == 2 && run.stderr.contains(expected), "\(command): \(run.status) \(run.stderr) \(run.stdout.suffix(200))")
        }
    }

    @Test("verify --ledger exits 1 naming the altered seq; a bad URL or unreachable server exits 2 without the password")
    func damageAndErrors() async throws {
        guard let location = try await TestPostgres.databaseIfAvailable() else { return }
        defer { Task { await TestPostgres.dropDatabase(location) } }
        let url = location.description
        let imported = try await ledgerbot(["ledger", "import", "--ledger", url, "--input", snapshots.appendingPathComponent("support-triage/ledger.jsonl").path])
        #expect(imported.status == 0, "\(imported.stderr)")
        try await TestPostgres.admin(location) { client in
            try await client.query("UPDATE ledgerbot_events SET meta = '\\x7b7d'::bytea WHERE seq = 4")
        }
        let verify = try await ledgerbot(["ledger", "verify", "--ledger", url])
        #expect(verify.status == 1)
        #expect(verify.stdout.contains("CORRUPTED") && verify.stdout.contains("seq 4"))

        let unreachable = try await ledgerbot(["ledger", "stats", "--ledger", "postgres://bot:hunter2@127.0.0.1:1/x?sslmode=disable"])
        #expect(unreachable.status == 2)
        #expect(unreachable.stderr.contains("cannot connect to PostgreSQL at postgres://bot@127.0.0.1:1/x"))
        #expect(!unreachable.stderr.contains("hunter2"))
        let usage = try await ledgerbot(["ledger", "stats", "--ledger", "/tmp/dir"])
        #expect(usage.status == 64)
        let both = try await ledgerbot(["ledger", "verify", "--data", "/tmp/a", "--ledger", url])
        #expect(both.status == 64)
    }

    @Test("the read-only commands change nothing: a database without a ledger (a mistyped name) is an error, not an intact empty ledger")
    func readOnlyCommandsChangeNothing() async throws {
        guard let empty = try await TestPostgres.databaseIfAvailable() else { return }
        defer { Task { await TestPostgres.dropDatabase(empty) } }
        for command in [["ledger", "verify"], ["ledger", "stats"], ["ledger", "export"], ["replay"]] {
            let result = try await ledgerbot(command + ["--ledger", empty.description])
            #expect(result.status == 2 && result.stderr.contains("no Ledgerbot ledger in the database"), "\(command): \(result.stdout)\(result.stderr)")
        }
        let tables = try await TestPostgres.admin(empty) { client in
            var count = 0
            for try await n in try await client.query("SELECT count(*)::int FROM pg_tables WHERE tablename LIKE 'ledgerbot%'").decode(Int.self) { count = n }
            return count
        }
        #expect(tables == 0, "a read-only command created tables")
    }
}
