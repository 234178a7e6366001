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
        try await TestPostgres.admin(location) { client in
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
            await Self.expectFenced { _ = try await old.append([draft("before any lease")]) }

            let first = try await PostgresLease.acquire("reactor", at: location, retry: .milliseconds(50), logger: Self.logger)
            let refusals = old.hold(first.fence)
            let decided = try await old.append([draft("decision by the first holder", type: "decision")])
            #expect(decided == 1...1)

            // The first holder's session is cut; it has not noticed (no watch runs here).
            try await cutLeaseSessions(location)
            let second = try await PostgresLease.acquire("reactor", at: location, retry: .milliseconds(50), logger: Self.logger)
            #expect(second.fence.generation == first.fence.generation + 1)
            let new = FencedLedger(shared)
            _ = new.hold(second.fence)

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
            var refused = refusals.makeAsyncIterator()
            #expect(await refused.next() != nil, "the stale holder is told, to stop deciding at once")

            // Given up, the lease fences nothing in.
            new.release()
            await Self.expectFenced { _ = try await new.append([draft("after release", type: "decision")]) }
            await second.release()
            await first.release()
        }
    }

    @Test("a refused fence and ingest's appends share one transaction: ingest's commit, the fenced ones alone are refused")
    func refusalInAMixedBatch() async throws {
        try await withStore(.postgres) { home, store in
            let location = home.location!
            let shared = store as! PostgresLedger
            let lease = try await PostgresLease.acquire("reactor", at: location, retry: .milliseconds(50), logger: Self.logger)
            let stale = FencedLedger(shared)
            _ = stale.hold(LeaseFence(name: "reactor", generation: lease.fence.generation - 1))
            // Hold the head row so that the writer's first transaction waits, and the next
            // appends queue up behind it into one batch.
            let blocker = try await HeldTransaction(location, "SELECT head_seq FROM ledgerbot_ledger WHERE id = 1 FOR UPDATE")
            let before = shared.transactionsCommitted
            let waiting = Task { try await shared.append([draft("webhook 1")]) }
            try await waitUntilSessionsWaitForALock(1, in: location)
            let refused = Task { try await stale.append([draft("stale decision", type: "decision")]) }
            let stored = Task { try await shared.append([draft("webhook 2")]) }
            for _ in 0..<3000 where shared.queuedAppends < 2 { try await Task.sleep(for: .milliseconds(10)) } // both behind the waiting transaction
            try #require(shared.queuedAppends == 2)
            try await blocker.release()
            #expect(try await waiting.value == 1...1)
            #expect(try await stored.value == 2...2)
            await Self.expectFenced { _ = try await refused.value }
            #expect(shared.transactionsCommitted - before == 2, "the refused append and webhook 2 shared the second transaction")
            #expect(try await shared.read(from: 1, limit: 10).map { String(decoding: $0.body, as: UTF8.self) } == ["webhook 1", "webhook 2"])
            await lease.release()
        }
    }

    @Test("a takeover waits for a fenced append that passed its check but has not committed, and the new holder's head includes it")
    func takeoverWaitsForAnAppendInFlight() async throws {
        try await withStore(.postgres) { home, store in
            let location = home.location!
            let shared = store as! PostgresLedger
            let first = try await PostgresLease.acquire("reactor", at: location, retry: .milliseconds(50), logger: Self.logger)
            let old = FencedLedger(shared)
            _ = old.hold(first.fence)
            #expect(try await old.append([draft("decision 1", type: "decision")]) == 1...1)

            // An uncommitted row at seq 2 makes the next append wait at its INSERT, after its
            // fence check passed: an append in flight when the lease passes on.
            let blocker = try await HeldTransaction(location, """
                INSERT INTO ledgerbot_events (seq, stream, type, time, causation, dictionary, raw_length, body, meta, hash)
                VALUES (2, '', 'blocker', 0, NULL, 0, 0, '', '', '')
                """)
            let inFlight = Task { try await old.append([draft("decision 2, in flight", type: "decision")]) }
            try await waitUntilSessionsWaitForALock(1, in: location)

            try await cutLeaseSessions(location)
            let acquired = Flag()
            let takeover = Task {
                let lease = try await PostgresLease.acquire("reactor", at: location, retry: .milliseconds(50), logger: Self.logger)
                await acquired.set()
                return lease
            }
            // The raise waits for the append's FOR SHARE: two sessions wait now, and the lease is not taken.
            try await waitUntilSessionsWaitForALock(2, in: location)
            #expect(await !acquired.value, "the generation was raised while a fenced append that passed its check had not committed")
            try await blocker.release()
            #expect(try await inFlight.value == 2...2, "checked before the takeover, it commits")
            let second = try await takeover.value
            #expect(second.fence.generation == first.fence.generation + 1)
            // What the new holder's services read on start (another process's view of the database).
            let newHolderView = try await home.open()
            #expect(try await newHolderView.committedHeadSeq() == 2)
            await newHolderView.close()
            await Self.expectFenced { _ = try await old.append([draft("decision 3, stale", type: "decision")]) }
            await second.release()
            await first.release()
            _ = store
        }
    }

    @Test("a database whose default isolation is SERIALIZABLE changes nothing: concurrent appends of two instances commit, a stale fence is refused as such")
    func serializableDefaultIsolation() async throws {
        try await withStore(.postgres) { home, store in
            let location = home.location!
            try await TestPostgres.admin(location) { client in
                try await client.query(PostgresQuery(unsafeSQL: "ALTER DATABASE \(location.database) SET default_transaction_isolation = 'serializable'"))
            }
            let first = try await home.open(), second = try await home.open()
            let ranges = try await withThrowingTaskGroup(of: ClosedRange<Seq>.self) { group in
                for (index, ledger) in [first, second].enumerated() {
                    for n in 0..<16 { group.addTask { try await ledger.append([draft("instance \(index), append \(n)")]) } }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(ranges.count == 32)
            let lease = try await PostgresLease.acquire("reactor", at: location, retry: .milliseconds(50), logger: Self.logger)
            let stale = FencedLedger(first as! PostgresLedger)
            _ = stale.hold(LeaseFence(name: "reactor", generation: lease.fence.generation - 1))
            await Self.expectFenced { _ = try await stale.append([draft("stale", type: "decision")]) }
            await lease.release()
            await first.close()
            await second.close()
            _ = store
        }
    }

    @Test("a server's idle_session_timeout does not end a lease its holder keeps watching")
    func leaseSurvivesIdleSessionTimeout() async throws {
        try await withStore(.postgres) { home, store in
        let location = home.location!
        try await TestPostgres.admin(location) { client in
            try await client.query(PostgresQuery(unsafeSQL: "ALTER DATABASE \(location.database) SET idle_session_timeout = '1500ms'"))
        }
        let lease = try await PostgresLease.acquire("reactor", at: location, retry: .milliseconds(50), logger: Self.logger)
        let watching = Task { try await lease.watch(interval: .milliseconds(100), keepAlive: .milliseconds(500)) }
        try await Task.sleep(for: .seconds(4))
        #expect(!watching.isCancelled)
        let lost = Task { await watching.result }
        // Still held after more than twice the timeout: the watch has not returned.
        let held = try await TestPostgres.admin(location) { client in
            var count = 0
            for try await n in try await client.query("SELECT count(*)::int FROM pg_locks l JOIN pg_database d ON d.oid = l.database WHERE l.locktype = 'advisory' AND l.granted AND d.datname = current_database()").decode(Int.self) { count = n }
            return count
        }
        #expect(held == 1)
        watching.cancel()
        if case .success = await lost.value { Issue.record("the watch returned: the lease was lost") }
        await lease.release()
        _ = store
        }
    }

    @Test("a lease whose session stops answering (a frozen server, a silent network) counts as lost within seconds, and another instance takes it")
    func silentLeaseSessionIsLost() async throws {
        try await withStore(.postgres) { home, store in
        let location = home.location!
        let proxy = try SilentProxy(to: location)
        defer { proxy.stop() }
        let lease = try await PostgresLease.acquire("reactor", at: proxy.route(location), retry: .milliseconds(50), logger: Self.logger)
        proxy.freeze()
        let start = ContinuousClock.now
        let watching = Task { try await lease.watch(interval: .milliseconds(100), keepAlive: .milliseconds(300), answerWithin: .seconds(1)) }
        // Without an answer the watch used to wait in the keep-alive until TCP gave up; after 20 s
        // the proxy closes its connections (TCP giving up), so the test ends either way.
        let unfreeze = Task { try await Task.sleep(for: .seconds(20)); proxy.giveUp() }
        _ = try await watching.value
        let waited = ContinuousClock.now - start
        unfreeze.cancel()
        #expect(waited < .seconds(6), "the holder noticed its silent session after \(waited)")
        // The closed session ended on the server too (the proxy closed its side): another
        // instance, reaching the server directly, takes the lease.
        let next = try await withThrowingTaskGroup(of: PostgresLease?.self) { group in
            group.addTask { try await PostgresLease.acquire("reactor", at: location, retry: .milliseconds(100), logger: Self.logger) }
            group.addTask { try await Task.sleep(for: .seconds(15)); return nil }
            defer { group.cancelAll() }
            return try await group.next() ?? nil
        }
        #expect(next != nil, "the lease was not free")
        #expect((next?.fence.generation ?? 0) > lease.fence.generation)
        proxy.thaw()
        await next?.release()
        await lease.release()
        _ = store
        }
    }

    @Test("two instances migrating a fresh database together under a REPEATABLE READ default both open it")
    func concurrentMigrationsUnderRepeatableRead() async throws {
        guard let location = try await TestPostgres.databaseIfAvailable() else { return }
        try await TestPostgres.admin(location) { client in
            try await client.query(PostgresQuery(unsafeSQL: "ALTER DATABASE \(location.database) SET default_transaction_isolation = 'repeatable read'"))
        }
        // Both wait for the migration lock, then go one after the other: the second must see what the first committed.
        let held = try await HeldTransaction(location, "SELECT pg_advisory_xact_lock(\(0x4C42_4D49_4752_0001 as Int64))")
        let opening = Task {
            try await withThrowingTaskGroup(of: (any LedgerStore).self) { group in
                for _ in 0..<2 { group.addTask { try await PostgresLedger.open(location) } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
        }
        try await waitUntilSessionsWaitForALock(2, in: location)
        try await held.release()
        let result = await opening.result
        if case .success(let ledgers) = result {
            #expect(ledgers.count == 2)
            for ledger in ledgers { await ledger.close() }
        } else {
            Issue.record("an instance failed to open: \(result)")
        }
        await TestPostgres.dropDatabase(location)
    }

    /// Returns once `count` sessions of `location`'s database wait for a lock (within 30 s).
    private func waitUntilSessionsWaitForALock(_ count: Int, in location: PostgresLocation) async throws {
        for _ in 0..<600 {
            let waiting = try await TestPostgres.admin(location) { client in
                var waiting = 0
                for try await n in try await client.query("""
                    SELECT count(*)::int FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()
                    """).decode(Int.self) { waiting = n }
                return waiting
            }
            if waiting >= count { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        Issue.record("\(count) session(s) never waited for a lock")
    }

    /// A transaction of another session that ran `statement` and holds what it locked until
    /// ``release()``, which rolls it back.
    private struct HeldTransaction {
        private let task: Task<Void, any Error>
        private let releasing: AsyncStream<Void>.Continuation

        /// Returns once `statement` ran (or the transaction failed: ``release()`` then throws).
        init(_ location: PostgresLocation, _ statement: String) async throws {
            let opened = AsyncStream<Void>.makeStream(), release = AsyncStream<Void>.makeStream()
            releasing = release.continuation
            task = Task {
                defer { opened.continuation.finish() } // never leaves the test waiting, even when it fails
                try await TestPostgres.admin(location) { client in
                    do {
                        try await client.withTransaction(logger: LeaseFenceTests.logger) { connection in
                            try await connection.query(PostgresQuery(unsafeSQL: statement), logger: LeaseFenceTests.logger)
                            opened.continuation.yield()
                            for await _ in release.stream { break }
                            throw RollBack()
                        }
                    } catch let error as PostgresTransactionError where error.closureError is RollBack {}
                }
            }
            for await _ in opened.stream { break }
        }

        func release() async throws {
            releasing.yield()
            try await task.value
        }

        private struct RollBack: Error {}
    }

    private static func expectFenced(_ body: () async throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) async {
        do {
            try await body()
            Issue.record("the append was not refused", sourceLocation: sourceLocation)
        } catch let error as LedgerError {
            #expect(error.kind == .fenced, "\(error)", sourceLocation: sourceLocation)
        } catch {
            Issue.record("\(error)", sourceLocation: sourceLocation)
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
