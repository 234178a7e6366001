import ArgumentParser
import Foundation
import Ledger
import PostgresLedger

/// A ledger named on the command line: a data directory, or a `postgres://` URL.
enum LedgerTarget: CustomStringConvertible {
    case directory(LedgerDirectory)
    case postgres(PostgresLocation)

    init(_ text: String) throws {
        if PostgresLocation.isPostgresURL(text) {
            self = .postgres(try PostgresLocation(url: text))
        } else {
            self = .directory(LedgerDirectory(dataPath: text))
        }
    }

    var description: String {
        switch self {
        case .directory(let directory): return directory.ledgerPath
        case .postgres(let location): return location.description
        }
    }

    /// Opens the ledger for writing (the file ledger takes its writer lock; created when absent).
    func openForWriting() async throws -> any LedgerStore {
        switch self {
        case .directory(let directory): return try FileLedger.open(directory: directory).0
        case .postgres(let location):
            // Copy and import batches are large (thousands of events, megabytes of frames): the
            // 3 s deadline meant for a webhook's append failed them while their transaction went
            // on to commit, and the rerun was then refused or appended the frames twice.
            var configuration = PostgresLedgerConfiguration()
            configuration.appendTimeout = .seconds(600)
            return try await PostgresLedger.open(location, configuration: configuration)
        }
    }

    /// Reads events in order in batches, without a writer lock on a file ledger (so it may
    /// run beside `serve`). Stops after `through`.
    func forEachBatch(from: Seq = 1, through: Seq = .max, _ body: ([LedgerEvent]) async throws -> Void) async throws {
        switch self {
        case .directory(let directory):
            let cursor = try LedgerCursor(directory: directory, from: from, through: through)
            var batch: [LedgerEvent] = []
            var last = from > 0 ? from - 1 : 0
            while let event = try cursor.next() {
                batch.append(event)
                last = event.seq
                if batch.count == 2048 { try await body(batch); batch.removeAll(keepingCapacity: true) }
            }
            if !batch.isEmpty { try await body(batch) }
            // A damaged last frame reads like a torn write; the index knows whether it was
            // acknowledged. `verify` reports it, and a copy or export must not end short quietly.
            if through == .max, let damage = LedgerInspection.acknowledgedDamage(directory: directory, torn: cursor.tornTail, readHead: last) {
                throw damage
            }
        case .postgres(let location):
            try await withPostgresLedger(location) { ledger in
                let tail = try ledger.tail(from: from)
                let head = min(through, await ledger.headSeq())
                while tail.nextSeq <= head {
                    let events = try await tail.read(throughCommitted: head, limit: 2048)
                    if events.isEmpty { break }
                    try await body(events)
                }
            }
        }
    }
}

/// Opens the PostgreSQL ledger for `body` and closes it afterwards, also when `body` throws.
/// Read-only: nothing in the database is changed (see ``PostgresLedgerConfiguration/readOnly``).
func withPostgresLedger<T>(_ location: PostgresLocation, _ body: (PostgresLedger) async throws -> T) async throws -> T {
    var configuration = PostgresLedgerConfiguration()
    configuration.readOnly = true
    let ledger = try await PostgresLedger.open(location, configuration: configuration)
    do {
        let result = try await body(ledger)
        await ledger.close()
        return result
    } catch {
        await ledger.close()
        throw error
    }
}

/// `--data DIR` or `--ledger postgres://…`: the ledger commands that work on both backends.
struct StoreOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The data directory (holds ledger/ and index.sqlite).", valueName: "DIR"))
    var data: String?
    @Option(name: .long, help: ArgumentHelp("The ledger in PostgreSQL instead: postgres://USER@HOST:PORT/DATABASE[?sslmode=…] (password from PGPASSWORD).",
                                            valueName: "URL"))
    var ledger: String?

    func validate() throws {
        guard (data == nil) != (ledger == nil) else { throw ValidationError("pass either --data DIR or --ledger postgres://…") }
        if let ledger, !PostgresLocation.isPostgresURL(ledger) { throw ValidationError("--ledger takes a postgres:// URL; use --data for a directory") }
    }

    func target() throws -> LedgerTarget {
        if let ledger { return try LedgerTarget(ledger) }
        return .directory(LedgerDirectory(dataPath: data!))
    }
}
