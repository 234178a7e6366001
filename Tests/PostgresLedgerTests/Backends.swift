import Foundation
import Ledger
import LedgerbotTesting
import PostgresLedger
import PostgresLedgerTesting
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
