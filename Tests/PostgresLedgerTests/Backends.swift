import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Ledger
import LedgerbotTesting
import PostgresLedger
import PostgresLedgerTesting
import PostgresNIO
import Testing

/// The two implementations of ``LedgerStore``; the conformance suite runs against both.
enum Backend: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case file, postgres
    var testDescription: String { rawValue }
}

/// Where one test's ledger lives, reopenable (a fresh directory or a fresh database).
final class StoreHome: Sendable {
    let backend: Backend
    let directory: TemporaryDirectory?
    let location: PostgresLocation?

    private init(backend: Backend, directory: TemporaryDirectory?, location: PostgresLocation?) {
        self.backend = backend
        self.directory = directory
        self.location = location
    }

    /// nil when the backend is not available here (PostgreSQL without a test cluster, and not required).
    static func make(_ backend: Backend) async throws -> StoreHome? {
        switch backend {
        case .file:
            return StoreHome(backend: backend, directory: TemporaryDirectory(), location: nil)
        case .postgres:
            guard let location = try await TestPostgres.databaseIfAvailable() else { return nil }
            return StoreHome(backend: backend, directory: nil, location: location)
        }
    }

    /// - Parameter appendTimeout: the PostgreSQL append deadline. Most tests check what is stored,
    ///   not how fast, and the production deadline (3 s) is missed when the whole suite shares two
    ///   cores with the cluster; the test of the deadline itself passes the production value.
    func open(appendTimeout: Duration = .seconds(60)) async throws -> any LedgerStore {
        switch backend {
        case .file: return try FileLedger.open(directory: LedgerDirectory(dataPath: directory!.path)).0
        case .postgres:
            var configuration = PostgresLedgerConfiguration()
            configuration.appendTimeout = appendTimeout
            return try await PostgresLedger.open(location!, configuration: configuration)
        }
    }

    func remove() async {
        if let location { await TestPostgres.dropDatabase(location) }
    }
}

/// Runs `body` with a store of `backend` (skipped when the backend is unavailable), closing and
/// removing it afterwards.
func withStore(_ backend: Backend, _ body: (StoreHome, any LedgerStore) async throws -> Void) async throws {
    guard let home = try await StoreHome.make(backend) else { return }
    let store = try await home.open()
    do {
        try await body(home, store)
        await store.close()
        await home.remove()
    } catch {
        await store.close()
        await home.remove()
        throw error
    }
}

func draft(_ text: String, stream: String = "1/1", type: String = "webhook.received", causation: Seq? = nil, meta: String = "") -> EventDraft {
    EventDraft(stream: stream, type: type, time: 1_764_000_000_000_000, causation: causation, body: Array(text.utf8), meta: Array(meta.utf8))
}

/// The server processes of one test database's sessions, frozen with SIGSTOP: they accept what
/// is sent (the kernel buffers it) and never answer, as a frozen server or a silent network does.
/// Thawed by ``thaw()``, and at the latest after `thawAfter` so a test that hangs still ends.
final class FrozenSessions: Sendable {
    let pids: [Int32]
    private let watchdog: Task<Void, Never>

    /// Freezes every session of `location`'s database but the admin query's own, or those
    /// `matching` a condition on `pg_stat_activity` / `pg_locks` given as SQL.
    init(_ location: PostgresLocation, pidsQuery: String? = nil, thawAfter: Duration = .seconds(20)) async throws {
        let query = pidsQuery ?? "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        let pids = try await TestPostgres.admin(location) { client in
            var pids: [Int32] = []
            for try await pid in try await client.query(PostgresQuery(unsafeSQL: query)).decode(Int32.self) { pids.append(pid) }
            return pids
        }
        self.pids = pids
        for pid in pids { kill(pid, SIGSTOP) }
        watchdog = Task {
            try? await Task.sleep(for: thawAfter)
            for pid in pids { kill(pid, SIGCONT) }
        }
    }

    func thaw() {
        watchdog.cancel()
        for pid in pids { kill(pid, SIGCONT) }
    }
}
