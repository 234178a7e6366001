import Chatwoot
import Domain
import Ledger
import LedgerbotTesting
import SQLite
import Testing
@testable import Projections

/// The SQLite read models over a real ledger and a real `index.sqlite`.
@Suite struct ProjectionStoreTests {
    /// Text holding a NUL (a payload may carry \u0000 in a contact's name) is stored and read
    /// whole: bound with its byte length, read by its byte count.
    @Test func textWithANulIsStoredAndReadWhole() throws {
        let temp = TemporaryDirectory()
        let connection = try Connection(path: temp.path + "/t.sqlite")
        try connection.execute("CREATE TABLE t (name TEXT)")
        for name in ["A\u{0}B", "", "ção\u{0}\u{0}🚀", "plain"] {
            try connection.run("DELETE FROM t")
            try connection.run("INSERT INTO t (name) VALUES (?)", [SQLiteValue.text(name)])
            #expect(try connection.scalarText("SELECT name FROM t") == name, "\(Array(name.utf8))")
            #expect(try connection.scalarInt("SELECT length(CAST(name AS BLOB)) FROM t") == Int64(name.utf8.count))
        }
    }

    /// Applies the ledger live-style: one small batch per frame-sized slice.
    private func applyLive(_ projections: ProjectionStore, _ events: ArraySlice<LedgerEvent>, batch: Int = 3) throws {
        var start = events.startIndex
        while start < events.endIndex {
            let end = min(start + batch, events.endIndex)
            try projections.apply(Array(events[start..<end]))
            start = end
        }
    }

    @Test func tablesHoldTheConversationContactAndDailyMetrics() async throws {
        let ledger = try await TestLedger(try Scenario().drafts)
        let index = try ledger.openIndex()
        let projections = try ProjectionStore(index: index)
        let report = try projections.catchUp(directory: ledger.directory, batchSize: 8)
        let events = try ledger.events()
        #expect(report.applied == events.count && report.checkpoint == events.last?.seq && !report.rebuilt)
        #expect(try index.checkpoint(ProjectionStore.checkpointName) == events.last?.seq)

        let row = try #require(try index.connection.query("""
            SELECT status, status_cause, contact_name, contact_email, customer_messages, bot_messages, agent_messages, template_messages,
                   private_notes, submissions, last_intent, last_intent_confidence, consecutive_fallbacks, authenticated, human_active,
                   pending_effects, failed_effects, created_at, handoff_at, first_agent_reply_at, updated_seq
            FROM conversations WHERE account_id = 1 AND conversation_id = 128
            """) { row in (0..<row.columnCount).map { row.value($0) } }.first)
        #expect(row == [
            .text("pending"), .text("customer"), .text("Jane Doe"), .text("jane@example.com"), .int(3), .int(4), .int(1), .int(1),
            .int(1), .int(2), .text("handoff"), .double(0.97), .int(0), .int(0), .int(0),
            .int(0), .int(1), .text("2026-05-13T09:15:41.000000Z"), .text("2026-05-13T09:17:06.005000Z"), .text("2026-05-13T09:18:20.000000Z"),
            .int(Int64(events.last!.seq)),
        ])
        let contact = try index.connection.query("SELECT account_id, contact_id, name, email, conversations FROM contacts") { row in
            (0..<row.columnCount).map { row.value($0) }
        }
        #expect(contact == [[.int(1), .int(42), .text("Jane Doe"), .text("jane@example.com"), .int(1)]])
        let metrics = try index.connection.query("SELECT * FROM daily_metrics") { row in (0..<row.columnCount).map { row.value($0) } }
        #expect(metrics == [[.text("2026-05-13"), .int(1), .int(1), .int(1), .int(0), .int(1), .int(3), .int(4), .int(1), .int(1), .int(1)]])
    }

    @Test func rebuildFromScratchEqualsTheLiveTablesRowByRow() async throws {
        let ledger = try await TestLedger(try Scenario().drafts)
        let index = try ledger.openIndex()
        let live = try ProjectionStore(index: index)
        try applyLive(live, try ledger.events()[...])
        let liveDump = try live.dump()
        let liveStore = live.store

        var reports: [ProjectionProgress] = []
        let rebuilt = try ProjectionStore.rebuild(index: index, directory: ledger.directory, batchSize: 10) { reports.append($0) }
        #expect(try rebuilt.dump() == liveDump)
        #expect(rebuilt.store == liveStore)
        #expect(reports.map(\.checkpoint) == [10, 20, 30, 30])
        #expect(reports.last?.rebuilt == true)
        // The checkpoint, the conversation and its state, the contact, one day.
        #expect(liveDump.count == 5)
    }

    @Test func theVersionInForceFollowsPolicyEventsThroughAFailedBatchAReopenAndARebuild() async throws {
        let policyEvent = { (type: String) in EventDraft(stream: "policy", type: type, time: 1, body: Array("{}".utf8)) }
        let ledger = try await TestLedger([policyEvent(EventType.policyActivated)] + (try Scenario().drafts) + [policyEvent(EventType.policyDeactivated)])
        let events = try ledger.events()
        let pause = try #require(events.last)
        let index = try ledger.openIndex()
        let live = try ProjectionStore(index: index)
        try applyLive(live, events.dropLast())
        #expect(live.versionInForce == BotVersionInForce(activatedAt: 1))
        _ = try live.stage([pause])
        #expect(live.versionInForce == BotVersionInForce(pausedAt: pause.seq), "staged")
        live.discardStaged()
        #expect(live.versionInForce == BotVersionInForce(activatedAt: 1), "back to what is committed")
        try live.apply([pause])
        #expect(try ProjectionStore(index: index).versionInForce == BotVersionInForce(pausedAt: pause.seq), "reopened")
        let rebuilt = try ProjectionStore.rebuild(index: try TestLedgerCopy(ledger).openIndex(), directory: ledger.directory)
        #expect(rebuilt.versionInForce == BotVersionInForce(pausedAt: pause.seq), "rebuilt")
    }

    @Test func theCommittedCheckpointLagsAStagedBatchUntilItIsCommitted() async throws {
        let ledger = try await TestLedger(try Scenario().drafts)
        let events = try ledger.events()
        let index = try ledger.openIndex()
        let live = try ProjectionStore(index: index)
        try applyLive(live, events.dropLast(2))
        let committed = try #require(events.dropLast(2).last).seq
        #expect(live.committedCheckpoint == committed)
        _ = try live.stage(Array(events.suffix(2)))
        #expect(live.checkpoint == events.last!.seq, "the staged batch is folded")
        #expect(live.committedCheckpoint == committed, "but not committed")
        live.discardStaged()
        #expect(live.checkpoint == committed && live.committedCheckpoint == committed)
        try live.commit(live.stage(Array(events.suffix(2))))
        #expect(live.committedCheckpoint == events.last!.seq)
        #expect(try ProjectionStore(index: index).committedCheckpoint == events.last!.seq, "reopened")
    }

    /// Projections ahead of the ledger (a repair moved acknowledged events aside) rebuild from
    /// nothing: folding on would skip the events that take the lost seqs.
    @Test func projectionsAheadOfTheLedgerRebuildFromNothing() async throws {
        let ledger = try await TestLedger(try Scenario().drafts)
        let events = try ledger.events()
        let live = try ProjectionStore(index: try ledger.openIndex())
        try applyLive(live, events[...])
        let head = events.last!.seq
        #expect(try !live.resetIfAhead(of: head))
        let rows = try live.dump()
        #expect(live.checkpoint == head && !rows.isEmpty)
        #expect(try live.resetIfAhead(of: head - 3))
        #expect(live.checkpoint == 0 && live.committedCheckpoint == 0 && live.resetReason != nil)
        #expect(try ProjectionStore(index: try ledger.openIndex()).checkpoint == 0, "reset for good, not in memory only")
    }

    @Test func resumingFromACheckpointAfterACrashEqualsOnePass() async throws {
        let ledger = try await TestLedger(try Scenario().drafts)
        let events = try ledger.events()
        let half = events.count / 2

        // First process: applies half of the ledger, then "crashes" (the store is dropped unflushed;
        // every batch it applied was committed with its checkpoint).
        do {
            let index = try ledger.openIndex()
            let projections = try ProjectionStore(index: index)
            try applyLive(projections, events[..<half], batch: 4)
            // A batch that fails half-way leaves neither rows nor memory changed.
            try index.connection.execute("CREATE TRIGGER explode BEFORE INSERT ON conversation_states BEGIN SELECT RAISE(ABORT, 'disk full'); END")
            let before = projections.store
            #expect(throws: SQLiteError.self) { try projections.apply(Array(events[half...])) }
            #expect(projections.store == before && projections.checkpoint == Seq(half))
            try index.connection.execute("DROP TRIGGER explode")
        }
        // Second process: resumes from the checkpoint; re-offered old events are skipped.
        let index = try ledger.openIndex()
        let resumed = try ProjectionStore(index: index)
        #expect(resumed.checkpoint == Seq(half) && resumed.resetReason == nil)
        try resumed.apply(Array(events[(half - 3)..<(half + 2)]))
        try resumed.catchUp(directory: ledger.directory, batchSize: 5)

        let other = TestLedgerCopy(ledger)
        let onePass = try ProjectionStore(index: try other.openIndex())
        try onePass.apply(events)
        #expect(try resumed.dump() == onePass.dump())
        #expect(resumed.store == onePass.store)
    }

    @Test func eventsMustFollowTheCheckpoint() async throws {
        let ledger = try await TestLedger(try Scenario().drafts)
        let events = try ledger.events()
        let projections = try ProjectionStore(index: try ledger.openIndex())
        #expect(throws: ProjectionError.gap) { try projections.apply(Array(events[2...])) }
        #expect(projections.checkpoint == 0)
        try projections.apply(Array(events[..<2]))
        try projections.apply(Array(events[..<2])) // already applied: nothing happens
        #expect(projections.checkpoint == 2)
    }

    @Test func aSchemaChangeDropsTheTablesAndRefolds() async throws {
        let ledger = try await TestLedger(try Scenario().drafts)
        let index = try ledger.openIndex()
        let projections = try ProjectionStore(index: index)
        try projections.catchUp(directory: ledger.directory)
        let dump = try projections.dump()
        // As if an older build had written them.
        try index.connection.execute("UPDATE projection_schema SET version = 0")

        let reopened = try ProjectionStore(index: index)
        #expect(reopened.checkpoint == 0 && reopened.store.conversations.isEmpty)
        #expect(reopened.resetReason != nil)
        #expect(try index.connection.scalarInt("SELECT count(*) FROM conversations") == 0)
        try reopened.catchUp(directory: ledger.directory)
        #expect(try reopened.dump() == dump)
    }

    @Test func aCheckpointBeyondTheLedgerRebuilds() async throws {
        let ledger = try await TestLedger(try Scenario().drafts)
        let index = try ledger.openIndex()
        let projections = try ProjectionStore(index: index)
        try projections.catchUp(directory: ledger.directory)
        let dump = try projections.dump()
        try index.setCheckpoint(ProjectionStore.checkpointName, to: 999)

        let reopened = try ProjectionStore(index: index)
        let report = try reopened.catchUp(directory: ledger.directory)
        #expect(report.rebuilt)
        #expect(try reopened.dump() == dump)
    }

    @Test func unreadableStoredStateIsRebuilt() async throws {
        let ledger = try await TestLedger(try Scenario().drafts)
        let index = try ledger.openIndex()
        let projections = try ProjectionStore(index: index)
        try projections.catchUp(directory: ledger.directory)
        let dump = try projections.dump()
        try index.connection.execute("UPDATE conversation_states SET state = '{\"broken\":true}'")

        let reopened = try ProjectionStore(index: index)
        #expect(reopened.checkpoint == 0 && reopened.resetReason != nil)
        try reopened.catchUp(directory: ledger.directory)
        #expect(try reopened.dump() == dump)
    }
}

/// A second, independent index for the same ledger (another `index.sqlite` path).
struct TestLedgerCopy {
    let ledger: TestLedger
    init(_ ledger: TestLedger) { self.ledger = ledger }

    func openIndex() throws -> LedgerIndex {
        try LedgerIndex(path: ledger.temporary.path + "/other-index.sqlite", ledgerID: ledger.ledgerID)
    }
}
