import Foundation
import Ledger
import Logging
import PostgresLedger
import PostgresLedgerTesting
import PostgresNIO
import Testing

@Suite("PostgreSQL lease fencing")
struct LeaseFenceTests {
    private static let logger = Logger(label: "test.lease", factory: { _ in SwiftLogNoOpLogHandler() })

    /// Ends the sessions holding an advisory lock in `location`'s database, as a network failure
    /// or a DBA would; the holder is not told.
    private func cutLeaseSessions(_ location: PostgresLocation) async throws {
        _ = try await TestPostgres.admin(location) { client in
            try await client.query("""
                SELECT pg_terminate_backend(pid) FROM pg_locks
                WHERE locktype = 'advisory' AND granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
                """)
        }
    }

    @Test("after another instance takes the lease, the old holder's appends are refused and store nothing; ingest's appends go on")
    func staleHolderIsFenced() async throws {
        try await withStore(.postgres) { home, store in
            let location = home.location!
            let shared = store as! PostgresLedger
            let old = FencedLedger(shared)
            await #expect(throws: LedgerError.self, "no lease held yet") { _ = try await old.append([draft("before any lease")]) }

            let first = try await PostgresLease.acquire("reactor", at: location, retry: .milliseconds(50), logger: Self.logger)
            old.hold(first.fence)
            let decided = try await old.append([draft("decision by the first holder", type: "decision")])
            #expect(decided == 1...1)

            // The first holder's session is cut; it has not noticed (no watch runs here).
            try await cutLeaseSessions(location)
            let second = try await PostgresLease.acquire("reactor", at: location, retry: .milliseconds(50), logger: Self.logger)
            #expect(second.fence.generation == first.fence.generation + 1)
            let new = FencedLedger(shared)
            new.hold(second.fence)

            // The stale holder's appends race with ingest's and the new holder's in one process:
            // group commit must not let a refused fence take the others' events down with it.
            let outcomes = try await withThrowingTaskGroup(of: (String, Result<ClosedRange<Seq>, LedgerError>).self) { group in
                for round in 0..<20 {
                    group.addTask { ("stale", await Self.attempt { try await old.append([draft("stale \(round)", type: "decision")]) }) }
                    group.addTask { ("ingest", await Self.attempt { try await shared.append([draft("webhook \(round)")]) }) }
                    group.addTask { ("holder", await Self.attempt { try await new.append([draft("decision \(round)", type: "decision")]) }) }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            for (who, outcome) in outcomes {
                switch (who, outcome) {
                case ("stale", .failure(let error)):
                    #expect(error.kind == .fenced)
                    #expect(error.message.contains("generation \(second.fence.generation)"))
                case ("stale", .success(let range)): Issue.record("a stale holder appended \(range)")
                case (_, .failure(let error)): Issue.record("\(who) failed: \(error)")
                default: break
                }
            }
            let events = try await shared.read(from: 1, limit: 1000)
            #expect(events.count == 41)
            #expect(!events.contains { String(decoding: $0.body, as: UTF8.self).hasPrefix("stale") })
            #expect(await shared.health().writable, "a refused fence is not a broken database")
            #expect(try await shared.verify().isIntact)

            // Given up, the lease fences nothing in.
            new.hold(nil)
            await #expect(throws: LedgerError.self) { _ = try await new.append([draft("after release", type: "decision")]) }
            await second.release()
            await first.release()
        }
    }

    @Test("a new holder raising the generation waits for a fenced append still in its transaction, so it sees that append")
    func takeoverWaitsForAnAppendInFlight() async throws {
        try await withStore(.postgres) { home, store in
            let location = home.location!
            let first = try await PostgresLease.acquire("reactor", at: location, retry: .milliseconds(50), logger: Self.logger)
            // What a fenced append holds between its check and its commit: the lease row FOR SHARE.
            let opened = AsyncStream<Void>.makeStream()
            let release = AsyncStream<Void>.makeStream()
            let inFlight = Task {
                try await TestPostgres.admin(location) { client in
                    try await client.withTransaction(logger: Self.logger) { connection in
                        try await connection.query("SELECT generation FROM ledgerbot_leases WHERE name = 'reactor' FOR SHARE", logger: Self.logger)
                        opened.continuation.yield()
                        for await _ in release.stream { break }
                    }
                }
            }
            for await _ in opened.stream { break }
            try await cutLeaseSessions(location)
            let acquired = Flag()
            let takeover = Task {
                let lease = try await PostgresLease.acquire("reactor", at: location, retry: .milliseconds(50), logger: Self.logger)
                await acquired.set()
                return lease
            }
            try await Task.sleep(for: .milliseconds(700))
            #expect(await !acquired.value, "the generation was raised under a fenced append's feet")
            release.continuation.yield()
            try await inFlight.value
            let second = try await takeover.value
            #expect(second.fence.generation == first.fence.generation + 1)
            await second.release()
            await first.release()
            _ = store
        }
    }

    private actor Flag {
        private(set) var value = false
        func set() { value = true }
    }

    private static func attempt(_ body: () async throws -> ClosedRange<Seq>) async -> Result<ClosedRange<Seq>, LedgerError> {
        do { return .success(try await body()) } catch let error as LedgerError { return .failure(error) } catch {
            return .failure(LedgerError(.io, "\(error)"))
        }
    }
}
