import Chatwoot
import Domain
import Foundation
import Ledger
import SQLite

/// The projections' read models in `DATA/index.sqlite`, kept in step with an in-memory
/// ``ConversationStore``.
///
/// Tables (see ``ProjectionSchema``): `conversations` (one row per conversation), `contacts`,
/// `daily_metrics` (per UTC day and account) and `conversation_states` (each
/// ``ConversationState`` as JSON, so a restart resumes from the checkpoint without refolding).
///
/// Exactly-once: each ``apply(_:)`` folds its events, writes the rows they touched and moves the
/// `projections` checkpoint in **one** transaction, so a crash leaves either all of a batch or
/// none of it; on open the store loads the rows and resumes after the checkpoint.
///
/// Uses the ledger index's connection: SQLite allows one writer per file, and the checkpoint
/// must commit with the rows. Like ``Ledger/LedgerIndex``, a store belongs to one thread or actor.
///
/// ```swift
/// let index = try LedgerIndex(path: directory.indexPath, ledgerID: ledger.ledgerID)
/// let projections = try ProjectionStore(index: index)
/// try projections.catchUp(directory: directory)           // after a restart
/// try projections.apply(tail.read(through: head))           // live
/// projections.conversations[address]?.status
/// ```
public final class ProjectionStore {
    /// The checkpoint name in the index's `checkpoints` table.
    public static let checkpointName = "projections"
    /// Where ``versionInForce`` is kept beside it (in the same table, written in the same transaction).
    static let activatedAtName = "projections.version_activated_at"
    static let pausedAtName = "projections.version_paused_at"

    public let index: LedgerIndex
    /// Every conversation and contact as of ``checkpoint``.
    public private(set) var store: ConversationStore
    /// Set when the stored projections could not be used and were reset (the next catch-up
    /// refolds the ledger): why.
    public private(set) var resetReason: String?

    /// The bot version in force as of the events applied (staged ones included).
    public private(set) var versionInForce = BotVersionInForce()

    /// Set when a failed batch could not be undone in memory: the store refuses further work.
    private var unusable: String?

    private var connection: Connection { index.connection }

    /// Opens the projections of `index`: creates (or, after a schema change, recreates) the
    /// tables, then loads what was applied up to the checkpoint.
    /// - Throws: ``ProjectionError`` or `SQLiteError`.
    public init(index: LedgerIndex) throws {
        self.index = index
        store = ConversationStore()
        let stored = try ProjectionSchema.storedVersion(index.connection)
        if stored != ProjectionSchema.current.number {
            try reset()
            if let stored { resetReason = "projection schema \(stored) replaced by \(ProjectionSchema.current.number)" }
            return
        }
        do {
            (store, versionInForce) = try load()
            committedCheckpoint = store.appliedSeq
        } catch let error as DecodingError {
            // Derived data: rather than refuse to start, forget it and refold the ledger.
            try reset()
            resetReason = "stored conversation state unreadable (\(error)); rebuilt from the ledger"
        }
    }

    /// The last seq applied (0 before the first event), a staged batch's included.
    public var checkpoint: Seq { store.appliedSeq }

    /// The last seq whose batch is committed: ``checkpoint`` once the staged batch is written.
    /// Between ``stage(_:)`` and ``commit(_:)`` — while the reactor's decisions for the batch are
    /// appended — it lags behind, so whoever waits for an event to be handled reads this one.
    public private(set) var committedCheckpoint: Seq = 0

    public var conversations: [ConversationAddress: ConversationState] { store.conversations }

    public subscript(address: ConversationAddress) -> ConversationState? { store[address] }

    // MARK: - Applying

    /// Folds `events` and writes the result with the checkpoint in one transaction.
    ///
    /// Events at or below ``checkpoint`` are skipped (a batch re-read after a crash is not applied
    /// twice). If the transaction fails, nothing of the batch is kept, in SQLite or in memory.
    /// - Throws: ``ProjectionError/gap`` when the first new event is not `checkpoint + 1`;
    ///   `SQLiteError` when the write fails; ``ProjectionError/unusable`` after a failure that
    ///   could not be undone in memory (open a new store: it loads what was committed).
    public func apply(_ events: [LedgerEvent]) throws {
        try commit(stage(events))
    }

    /// Folds `events` in memory only and returns what each changed; ``commit(_:)`` writes them,
    /// ``discardStaged()`` forgets them. Lets the reactor record its decisions between the two, so
    /// the checkpoint never passes an input whose decision is not durable.
    /// - Throws: ``ProjectionError/gap``, ``ProjectionError/unusable``.
    public func stage(_ events: [LedgerEvent]) throws -> StagedBatch {
        if let unusable { throw ProjectionError(.unusable, unusable) }
        var batch = StagedBatch()
        guard let start = events.firstIndex(where: { $0.seq > checkpoint }) else { return batch }
        var expected = checkpoint + 1
        for event in events[start...] {
            guard event.seq == expected else {
                throw ProjectionError(.gap, "projections expected seq \(expected) but got \(event.seq); events must be applied in order, without gaps")
            }
            expected += 1
        }
        for event in events[start...] {
            versionInForce.apply(event)
            let change = store.apply(event)
            batch.applied.append(AppliedEvent(event: event, change: change))
            if let address = change.conversation, change.changed {
                batch.conversations.insert(address)
                if !change.metrics.isZero { batch.metrics[MetricsKey(day: change.day, accountId: address.accountId), default: DailyMetrics()] += change.metrics }
            }
            batch.contacts.formUnion(change.contacts)
        }
        return batch
    }

    /// Writes a staged batch with the checkpoint in one transaction. If it fails, memory is
    /// reloaded from what SQLite holds.
    public func commit(_ batch: StagedBatch) throws {
        if batch.applied.isEmpty { return }
        do {
            try connection.transaction {
                for address in batch.conversations.sorted(by: { ($0.accountId, $0.conversationId) < ($1.accountId, $1.conversationId) }) {
                    if let state = store[address] { try write(state) }
                }
                for key in batch.contacts.sorted() {
                    if let record = store.contacts[key] { try write(record) }
                }
                for key in batch.metrics.keys.sorted() {
                    try add(batch.metrics[key]!, for: key)
                }
                try index.setCheckpoint(Self.checkpointName, to: store.appliedSeq)
                try index.setCheckpoint(Self.activatedAtName, to: versionInForce.activatedAt)
                try index.setCheckpoint(Self.pausedAtName, to: versionInForce.pausedAt)
            }
            committedCheckpoint = store.appliedSeq
        } catch {
            discardStaged()
            throw error
        }
    }

    /// Forgets what was staged and not committed (memory agrees with SQLite again).
    public func discardStaged() {
        do {
            (store, versionInForce) = try load()
        } catch let reload {
            unusable = "projections could not reload after a failed batch (\(reload)); open a new ProjectionStore"
        }
    }

    /// Applies the ledger's events after ``checkpoint`` through `through`, in batches of
    /// `batchSize` (one transaction each), calling `progress` after each batch.
    ///
    /// When the checkpoint names a seq the ledger does not hold (its tail was moved to
    /// quarantine by a repair), the projections describe another history: they are rebuilt.
    /// Rebuilds from nothing when the checkpoint is past the ledger's `head` (a repair moved
    /// acknowledged events aside, an index restored from a backup): those states hold events the
    /// ledger no longer has, and folding on from them would skip the events that take their seqs.
    /// - Returns: whether it reset.
    @discardableResult
    public func resetIfAhead(of head: Seq) throws -> Bool {
        guard checkpoint > head else { return false }
        try reset()
        resetReason = "the ledger ends (seq \(head)) before the projections' checkpoint; rebuilt from the ledger"
        return true
    }

    @discardableResult
    public func catchUp(directory: LedgerDirectory, through: Seq = .max, batchSize: Int = 1024,
                        dictionaries: [CompressionDictionary] = CompressionDictionary.builtIn,
                        progress: (ProjectionProgress) -> Void = { _ in }) throws -> ProjectionProgress {
        var report = ProjectionProgress(checkpoint: checkpoint)
        if checkpoint > 0 {
            let cursor = try LedgerCursor(directory: directory, from: checkpoint, through: checkpoint, dictionaries: dictionaries)
            if try cursor.next()?.seq != checkpoint {
                try reset()
                resetReason = "the ledger ends before the projections' checkpoint; rebuilt from the ledger"
                report.rebuilt = true
                report.checkpoint = 0
            }
        }
        let cursor = try LedgerCursor(directory: directory, from: checkpoint + 1, through: through, dictionaries: dictionaries)
        var batch: [LedgerEvent] = []
        batch.reserveCapacity(batchSize)
        func flush() throws {
            try apply(batch)
            report.applied += batch.count
            report.checkpoint = checkpoint
            batch.removeAll(keepingCapacity: true)
            progress(report)
        }
        while let event = try cursor.next() {
            batch.append(event)
            if batch.count >= max(1, batchSize) { try flush() }
        }
        if !batch.isEmpty { try flush() }
        return report
    }

    /// Drops the projection tables, resets the checkpoint and refolds the whole ledger.
    /// Reports through `progress`; prints nothing.
    @discardableResult
    public static func rebuild(index: LedgerIndex, directory: LedgerDirectory, batchSize: Int = 1024,
                               dictionaries: [CompressionDictionary] = CompressionDictionary.builtIn,
                               progress: (ProjectionProgress) -> Void = { _ in }) throws -> ProjectionStore {
        let projections = try ProjectionStore(index: index)
        try projections.reset()
        var report = try projections.catchUp(directory: directory, batchSize: batchSize, dictionaries: dictionaries, progress: progress)
        report.rebuilt = true
        progress(report)
        return projections
    }

    /// Drops and recreates the tables and sets the checkpoint to 0, in one transaction.
    private func reset() throws {
        try connection.transaction {
            try ProjectionSchema.recreate(connection)
            try index.setCheckpoint(Self.checkpointName, to: 0)
            try index.setCheckpoint(Self.activatedAtName, to: 0)
            try index.setCheckpoint(Self.pausedAtName, to: 0)
        }
        store = ConversationStore()
        versionInForce = BotVersionInForce()
        committedCheckpoint = 0
    }

    // MARK: - Rows

    private func write(_ state: ConversationState) throws {
        let account = Int64(state.address.accountId)
        let conversation = Int64(state.address.conversationId)
        let contact = state.contact
        try connection.run("""
            INSERT OR REPLACE INTO conversations(account_id, conversation_id, inbox_id, channel, status, status_changed_at, status_cause,
                contact_id, contact_name, contact_email, contact_phone, contact_identifier,
                customer_messages, bot_messages, agent_messages, template_messages, private_notes, submissions,
                last_intent, last_intent_confidence, consecutive_fallbacks, authenticated, human_active, pending_effects, failed_effects,
                created_at, first_customer_message_at, last_customer_message_at, handoff_at, first_agent_reply_at, updated_seq)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, [
                .int(account), .int(conversation), .optional(state.inboxId), .optional(state.channel), .optional(state.status?.rawValue),
                .time(state.statusChangedAt), .optional(state.statusCause.map(Self.describe)),
                .optional(contact?.id), .optional(contact?.name), .optional(contact?.email), .optional(contact?.phone), .optional(contact?.identifier),
                .int(state.counts.customer), .int(state.counts.bot), .int(state.counts.humanAgent), .int(state.counts.template),
                .int(state.counts.privateNotes), .int(state.counts.submissions),
                .optional(state.lastIntent?.name), state.lastIntent?.confidence.map(SQLiteValue.double) ?? .null,
                .int(state.consecutiveFallbacks), .bool(state.authenticated), .bool(state.humanActive),
                .int(state.pendingEffects.count), .int(state.failedEffectCount),
                .time(state.createdAt), .time(state.firstCustomerMessageAt), .time(state.lastCustomerMessageAt),
                .time(state.handoffAt), .time(state.firstAgentReplyAt), .int(Int64(bitPattern: state.lastSeq)),
            ])
        let json = String(decoding: try state.storedJSON(), as: UTF8.self)
        try connection.run("INSERT OR REPLACE INTO conversation_states(account_id, conversation_id, state) VALUES (?, ?, ?)",
                           [.int(account), .int(conversation), .text(json)])
    }

    private func write(_ record: ContactRecord) throws {
        try connection.run("""
            INSERT OR REPLACE INTO contacts(account_id, contact_id, name, email, phone, identifier, conversations,
                first_seen_at, last_seen_at, updated_seq)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, [
                .int(Int64(record.key.accountId)), .int(Int64(record.key.contactId)), .optional(record.info.name), .optional(record.info.email),
                .optional(record.info.phone), .optional(record.info.identifier), .int(record.conversations),
                .time(record.firstSeenAt), .time(record.lastSeenAt), .int(Int64(bitPattern: record.updatedSeq)),
            ])
    }

    private func add(_ metrics: DailyMetrics, for key: MetricsKey) throws {
        let micros = key.day * 86_400_000_000
        let day = String(Timestamp.iso8601(micros: micros).prefix(10))
        try connection.run("""
            INSERT INTO daily_metrics(day, account_id, conversations_started, handoffs, resolved_by_bot, resolved_by_agent,
                customer_messages, bot_replies, agent_replies, fallbacks, effects_failed)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT(day, account_id) DO UPDATE SET
                conversations_started = conversations_started + excluded.conversations_started,
                handoffs = handoffs + excluded.handoffs,
                resolved_by_bot = resolved_by_bot + excluded.resolved_by_bot,
                resolved_by_agent = resolved_by_agent + excluded.resolved_by_agent,
                customer_messages = customer_messages + excluded.customer_messages,
                bot_replies = bot_replies + excluded.bot_replies,
                agent_replies = agent_replies + excluded.agent_replies,
                fallbacks = fallbacks + excluded.fallbacks,
                effects_failed = effects_failed + excluded.effects_failed
            """, [
                .text(day), .int(Int64(key.accountId)), .int(metrics.conversationsStarted), .int(metrics.handoffs),
                .int(metrics.resolvedByBot), .int(metrics.resolvedByAgent), .int(metrics.customerMessages), .int(metrics.botReplies),
                .int(metrics.agentReplies), .int(metrics.fallbacks), .int(metrics.effectsFailed),
            ])
    }

    /// The store as of the checkpoint, from the tables, and the version in force then.
    private func load() throws -> (ConversationStore, BotVersionInForce) {
        // Read every row before decoding: a statement left mid-iteration by a throw would keep
        // the table locked against the reset that follows a decoding error.
        let states = try connection.query("SELECT state FROM conversation_states ORDER BY account_id, conversation_id") { $0.text(0) }
            .map { try ConversationState(storedJSON: Array($0.utf8)) }
        let contacts = try connection.query("""
            SELECT account_id, contact_id, name, email, phone, identifier, conversations, first_seen_at, last_seen_at, updated_seq
            FROM contacts ORDER BY account_id, contact_id
            """) { row in
            let key = ContactKey(accountId: Int(row.int64(0)), contactId: Int(row.int64(1)))
            return ContactRecord(key: key,
                                 info: ContactInfo(id: key.contactId, name: row.optionalText(2), email: row.optionalText(3),
                                                   phone: row.optionalText(4), identifier: row.optionalText(5)),
                                 conversations: Int(row.int64(6)), firstSeenAt: Timestamp.parse(row.text(7)) ?? 0,
                                 lastSeenAt: Timestamp.parse(row.text(8)) ?? 0, updatedSeq: Seq(bitPattern: row.int64(9)))
        }
        let store = ConversationStore(conversations: Dictionary(uniqueKeysWithValues: states.map { ($0.address, $0) }),
                                      contacts: Dictionary(uniqueKeysWithValues: contacts.map { ($0.key, $0) }),
                                      appliedSeq: try index.checkpoint(Self.checkpointName))
        return (store, BotVersionInForce(activatedAt: try index.checkpoint(Self.activatedAtName), pausedAt: try index.checkpoint(Self.pausedAtName)))
    }

    // MARK: - Inspection

    /// Every projection row in primary-key order plus the checkpoint, one line each: equal dumps
    /// mean equal read models (a rebuild is compared with the live tables this way).
    public func dump() throws -> [String] {
        let tables: [(String, String)] = [
            ("conversations", "account_id, conversation_id"),
            ("conversation_states", "account_id, conversation_id"),
            ("contacts", "account_id, contact_id"),
            ("daily_metrics", "day, account_id"),
        ]
        var lines = ["checkpoint \(try index.checkpoint(Self.checkpointName))"]
        for (table, order) in tables {
            lines += try connection.query("SELECT * FROM \(table) ORDER BY \(order)") { row in
                let values = (0..<row.columnCount).map { Self.render(row.value($0)) }
                return table + " " + values.joined(separator: "|")
            }
        }
        return lines
    }

    static func describe(_ cause: StatusCause) -> String {
        switch cause {
        case .bot: "bot"
        case .customer: "customer"
        case .agent(let id?): "agent:\(id)"
        case .agent(nil): "agent"
        }
    }

    private static func render(_ value: SQLiteValue) -> String {
        switch value {
        case .null: "NULL"
        case .int(let value): String(value)
        case .double(let value): String(value)
        case .text(let value): value
        case .blob(let value): value.map { String($0, radix: 16) }.joined()
        }
    }
}

@available(*, unavailable)
extension ProjectionStore: Sendable {}

/// A UTC day and an account: one `daily_metrics` row.
struct MetricsKey: Hashable, Comparable {
    var day: Int64
    var accountId: Int

    static func < (lhs: MetricsKey, rhs: MetricsKey) -> Bool { (lhs.day, lhs.accountId) < (rhs.day, rhs.accountId) }
}

extension SQLiteValue {
    static func optional(_ value: Int?) -> SQLiteValue { value.map { .int(Int64($0)) } ?? .null }
    static func optional(_ value: String?) -> SQLiteValue { value.map(SQLiteValue.text) ?? .null }
    static func int(_ value: Int) -> SQLiteValue { .int(Int64(value)) }
    static func bool(_ value: Bool) -> SQLiteValue { .int(value ? 1 : 0) }
    /// A time as ISO 8601 UTC with µs (`2026-05-13T09:15:42.318000Z`): readable, and sorts.
    static func time(_ micros: Int64?) -> SQLiteValue { micros.map { .text(Timestamp.iso8601(micros: $0)) } ?? .null }
}

extension Statement {
    func optionalText(_ column: Int32) -> String? { isNull(column) ? nil : text(column) }
}

/// Events folded in memory and not yet written (see ``ProjectionStore/stage(_:)``).
public struct StagedBatch: Sendable {
    /// Every new event of the batch, in order, with what it changed.
    public internal(set) var applied: [AppliedEvent] = []
    var conversations = Set<ConversationAddress>()
    var contacts = Set<ContactKey>()
    var metrics: [MetricsKey: DailyMetrics] = [:]
}

/// One event folded into the projections, with the state of its conversation before it.
public struct AppliedEvent: Sendable {
    public var event: LedgerEvent
    public var change: ProjectionChange
}

/// Which bot version the ledger's policy events leave in force.
public struct BotVersionInForce: Sendable, Equatable {
    /// The `policy.activated` event in force (0: none).
    public var activatedAt: Seq = 0
    /// The `policy.deactivated` event in force, a pause: `serve` ran without a policy (0: none).
    public var pausedAt: Seq = 0

    public init(activatedAt: Seq = 0, pausedAt: Seq = 0) {
        self.activatedAt = activatedAt
        self.pausedAt = pausedAt
    }

    /// Follows a policy event (other events change nothing).
    public mutating func apply(_ event: LedgerEvent) {
        switch event.type {
        case EventType.policyActivated: self = BotVersionInForce(activatedAt: event.seq)
        case EventType.policyDeactivated: self = BotVersionInForce(pausedAt: event.seq)
        default: break
        }
    }
}
