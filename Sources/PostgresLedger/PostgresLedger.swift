import Foundation
import Ledger
import Logging
import NIOCore
import PostgresNIO

/// How a ``PostgresLedger`` writes and follows the database.
public struct PostgresLedgerConfiguration: Sendable {
    /// Connections in the pool (one is kept for LISTEN; appends use one at a time).
    public var maxConnections = 8
    /// A group commit collects queued appends up to this many events…
    public var maxBatchEvents = 2000
    /// …or this many compressed bytes (one append is never split).
    public var maxBatchBytes = 4 << 20
    /// Rows per INSERT statement (10 parameters each; PostgreSQL allows 65,535 per statement).
    public var rowsPerStatement = 1000
    /// How often the head is polled in case a notification was missed (LISTEN is the fast path).
    public var pollInterval: Duration = .seconds(1)
    /// zlib level for bodies (1 fastest … 9 smallest).
    public var compressionLevel: Int32 = 6
    /// An append transaction that has not committed by then fails (the webhook is answered 500
    /// and Chatwoot retries) instead of waiting on an unreachable server for the pool's minute.
    /// Whether it committed after all is then unknown: a retried delivery may be stored twice,
    /// and the reactor ignores the second copy of a message.
    public var appendTimeout: Duration = .seconds(3)
    /// Opens an existing ledger only, changing nothing: no migration, no ledger row created
    /// (`verify`, `stats`, `export`, `replay`, `copy --from`). A database without a ledger is
    /// ``LedgerError/Kind/notFound`` — a mistyped database name used to "verify" as an intact,
    /// empty ledger, and a newer CLI upgraded the schema under older `serve` instances.
    public var readOnly = false

    public init() {}
}

/// The ledger in PostgreSQL: the ``LedgerStore`` contract of the file ledger, in a database that
/// several bot instances share.
///
/// - An append returns only after its transaction committed (with the server's
///   `synchronous_commit`, i.e. durable on the server's disk).
/// - Concurrent appenders of one process are group-committed: one transaction, multi-row
///   INSERTs, one round of fsync on the server. Bodies are compressed and hashed on the
///   appender's task before it queues, so the writer only assigns seqs and chains links.
/// - Appenders of *different* processes serialise on the head row's lock: seqs stay gap-free
///   and each commit becomes visible after the one before it, so a reader never sees seq N+1
///   without seq N.
/// - Other writers' commits reach ``subscribe()`` through LISTEN/NOTIFY, with polling as the
///   fallback when a notification is lost (a dropped LISTEN connection).
public final class PostgresLedger: LedgerStore, @unchecked Sendable {
    public let ledgerID: [UInt8]
    public let location: PostgresLocation
    let client: PostgresClient
    let codec: BodyCodec
    private let configuration: PostgresLedgerConfiguration
    /// Appends serialise on the head row's lock and read the lease generation as committed now:
    /// both need READ COMMITTED. Where the database or role makes another level the default
    /// (under which concurrent appends of two instances fail with serialization errors), each
    /// append transaction asks for it; with PostgreSQL's default it costs nothing.
    private let setsIsolation: Bool
    private let logger: Logger
    private let runTask: Task<Void, Never>
    private var backgroundTasks: [Task<Void, Never>] = []
    private let wake: AsyncStream<Void>.Continuation
    private let lock = NSLock()
    private var pending: [Pending] = []
    private var head: Seq
    private var subscribers: [Int: AsyncStream<Seq>.Continuation] = [:]
    private var nextSubscriberID = 0
    private var closing = false
    private var writerDone = false
    private var closeWaiters: [CheckedContinuation<Void, Never>] = []
    private var commits = 0
    private var lastCommit: ContinuousClock.Instant?
    private var lastAppendFailed = false

    static let channel = "ledgerbot_events"

    private struct Pending {
        var rows: [Row]
        var bytes: Int
        var fence: LeaseFence?
        var continuation: CheckedContinuation<ClosedRange<Seq>, any Error>
    }

    /// One event ready to insert: compressed and digested, waiting for its seq.
    private struct Row {
        var draft: EventDraft
        var compressed: [UInt8]
        var digest: [UInt8]
    }

    /// Connects, migrates the schema and loads (or creates) the ledger's head.
    /// - Throws: ``LedgerError`` — `.io` when the database cannot be reached (the message says
    ///   where, without the password), `.foreign` when its schema is newer than this build.
    public static func open(_ location: PostgresLocation, configuration: PostgresLedgerConfiguration = .init(),
                            logger: Logger = Logger(label: "ledgerbot.postgres")) async throws -> PostgresLedger {
        // One direct connection first: the pool retries a refused or rejected connection for a
        // minute before a query fails, while a person starting the bot wants the reason now.
        do {
            let probe = try await PostgresConnection.connect(configuration: try location.connectionConfiguration(), id: 0,
                                                             logger: Logger(label: "ledgerbot.postgres.probe", factory: { _ in SwiftLogNoOpLogHandler() }))
            try? await probe.close()
        } catch {
            throw LedgerError(.io, "cannot connect to PostgreSQL at \(location): \(describe(error))")
        }
        let client = PostgresClient(configuration: try location.clientConfiguration(maxConnections: configuration.maxConnections),
                                    backgroundLogger: Logger(label: "ledgerbot.postgres.pool", factory: { _ in SwiftLogNoOpLogHandler() }))
        let runTask = Task { await client.run() }
        do {
            let (id, head): ([UInt8], Seq)
            if configuration.readOnly {
                try await Migrations.check(client, at: location, logger: logger)
                guard let found = try await readHead(client, logger: logger) else {
                    throw LedgerError(.notFound, "the database at \(location) has Ledgerbot's tables but no ledger yet (nothing was ever appended)")
                }
                (id, head) = found
            } else {
                _ = try await Migrations.apply(client, logger: logger)
                (id, head) = try await loadOrCreateHead(client, logger: logger)
            }
            var isolation = "read committed"
            for try await level in try await client.query("SELECT current_setting('default_transaction_isolation')", logger: logger).decode(String.self) {
                isolation = level
            }
            return PostgresLedger(location: location, client: client, runTask: runTask, ledgerID: id, head: head,
                                  setsIsolation: isolation != "read committed", configuration: configuration, logger: logger)
        } catch {
            runTask.cancel()
            if let error = ledgerError(in: error) { throw error }
            throw LedgerError(.io, "cannot open the ledger in PostgreSQL at \(location): \(describe(error))")
        }
    }

    private static func loadOrCreateHead(_ client: PostgresClient, logger: Logger) async throws -> ([UInt8], Seq) {
        var generator = SystemRandomNumberGenerator()
        let freshID = (0..<16).map { _ in UInt8.random(in: 0...255, using: &generator) }
        try await client.query("""
            INSERT INTO ledgerbot_ledger (id, ledger_id, head_seq, head_hash)
            VALUES (1, \(ByteBuffer(bytes: freshID)), 0, \(ByteBuffer(bytes: ContentChain.genesis))) ON CONFLICT (id) DO NOTHING
            """, logger: logger)
        guard let found = try await readHead(client, logger: logger) else { throw LedgerError(.corrupted, "the ledgerbot_ledger row is missing") }
        return found
    }

    /// The ledger's id and head, nil when its row does not exist.
    private static func readHead(_ client: PostgresClient, logger: Logger) async throws -> ([UInt8], Seq)? {
        for try await (id, head) in try await client.query("SELECT ledger_id, head_seq FROM ledgerbot_ledger WHERE id = 1", logger: logger)
            .decode((ByteBuffer, Int64).self) {
            return (Array(id.readableBytesView), Seq(head))
        }
        return nil
    }

    private init(location: PostgresLocation, client: PostgresClient, runTask: Task<Void, Never>, ledgerID: [UInt8], head: Seq,
                 setsIsolation: Bool, configuration: PostgresLedgerConfiguration, logger: Logger) {
        self.setsIsolation = setsIsolation
        self.location = location
        self.client = client
        self.runTask = runTask
        self.ledgerID = ledgerID
        self.head = head
        self.configuration = configuration
        self.logger = logger
        codec = BodyCodec(level: configuration.compressionLevel)
        let (wakeups, wake) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        self.wake = wake
        backgroundTasks = [
            Task { [unowned self] in await self.writerLoop(wakeups) },
            Task { [weak self] in await self?.listenLoop() },
            Task { [weak self] in await self?.pollLoop() },
        ]
    }

    /// Transactions committed by this instance's appends (fewer than appends under concurrency:
    /// that is the group commit).
    public var transactionsCommitted: Int { lock.withLock { commits } }

    /// Appends waiting for the writer's next transaction.
    public var queuedAppends: Int { lock.withLock { pending.count } }

    // MARK: LedgerStore

    /// Writable unless closed or the last append failed and the database does not answer now
    /// either (asking it, so a recovered server is seen as such even before the next append).
    public func health() async -> LedgerHealth {
        let (closed, failed, last) = lock.withLock { (closing, lastAppendFailed, lastCommit) }
        var writable = !closed
        if writable && failed {
            writable = (try? await withDeadline(.seconds(2), "the health check") { deadline in
                try await self.client.withConnection(within: deadline) { try await Self.head(on: $0, logger: self.logger) }
            }) != nil
        }
        return LedgerHealth(writable: writable, secondsSinceLastAppend: last.map { (ContinuousClock.now - $0).inSeconds })
    }

    /// - Throws: ``LedgerError`` — `.invalidArgument` for an empty or invalid batch, `.io` when the
    ///   transaction failed (nothing stored, unless the connection broke while the commit's reply
    ///   was on its way), `.closed` after ``close()``.
    public func append(_ drafts: [EventDraft]) async throws -> ClosedRange<Seq> {
        try await append(drafts, fence: nil)
    }

    /// Appends `drafts` only while `fence` is still the newest generation of its lease, checked
    /// in the append's transaction: an instance that lost the lease (another took it over)
    /// cannot add a decision the new holder does not see.
    /// - Throws: ``LedgerError/Kind/fenced`` when another instance holds the lease now (nothing
    ///   stored); otherwise as ``append(_:)``.
    public func append(_ drafts: [EventDraft], fence: LeaseFence?) async throws -> ClosedRange<Seq> {
        guard !drafts.isEmpty else { throw LedgerError(.invalidArgument, "append needs at least one event") }
        var rows: [Row] = []
        rows.reserveCapacity(drafts.count)
        var bytes = 0
        for draft in drafts {
            try draft.validate()
            guard draft.body.count <= Int(Int32.max) else { throw LedgerError(.invalidArgument, "event body larger than 2 GiB") }
            let compressed = try codec.compress(draft.body)
            bytes += compressed.count + draft.meta.count + draft.stream.utf8.count + draft.type.utf8.count
            rows.append(Row(draft: draft, compressed: compressed, digest: ContentChain.digest(draft)))
        }
        return try await withCheckedThrowingContinuation { continuation in
            lock.lock()
            defer { lock.unlock() }
            if closing {
                continuation.resume(throwing: LedgerError(.closed, "the ledger is closed"))
            } else {
                pending.append(Pending(rows: rows, bytes: bytes, fence: fence, continuation: continuation))
                wake.yield()
            }
        }
    }

    public func headSeq() async -> Seq {
        lock.withLock { head }
    }

    public func read(from seq: Seq, limit: Int) async throws -> [LedgerEvent] {
        try await fetch(from: seq, limit: limit).map(\.event)
    }

    public func subscribe() -> AsyncStream<Seq> {
        let (stream, continuation) = AsyncStream<Seq>.makeStream(bufferingPolicy: .bufferingNewest(1))
        lock.lock()
        let id = nextSubscriberID
        nextSubscriberID += 1
        subscribers[id] = continuation
        let current = head
        lock.unlock()
        yieldNewest(current, to: continuation)
        continuation.onTermination = { [weak self] _ in
            guard let self else { return }
            self.lock.lock()
            self.subscribers[id] = nil
            self.lock.unlock()
        }
        return stream
    }

    public func tail(from seq: Seq) throws -> any LedgerTailing {
        PostgresTail(ledger: self, from: seq)
    }

    /// Finishes queued appends, then stops listening and closes the connections.
    public func close() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            lock.lock()
            closing = true
            if writerDone {
                lock.unlock()
                continuation.resume()
                return
            }
            closeWaiters.append(continuation)
            lock.unlock()
            wake.yield()
        }
        for task in backgroundTasks { task.cancel() }
        let streams = lock.withLock {
            defer { subscribers = [:] }
            return Array(subscribers.values)
        }
        for stream in streams { stream.finish() }
        runTask.cancel()
    }

    // MARK: Reading

    /// A stored row: the event, its compressed size and its chain link.
    struct StoredEvent {
        var event: LedgerEvent
        var compressedBytes: Int
        var link: [UInt8]
    }

    func fetch(from seq: Seq, through: Seq = .max, limit: Int) async throws -> [StoredEvent] {
        try await fetchRows(from: seq, through: through, limit: limit).map { try decode($0) }
    }

    /// A row as stored, its body still compressed.
    struct RawRow {
        var seq: Int64, stream: String, type: String, time: Int64, causation: Int64?
        var dictionary: Int32, rawLength: Int32, body: ByteBuffer, meta: ByteBuffer, hash: ByteBuffer
    }

    func fetchRows(from seq: Seq, through: Seq = .max, limit: Int) async throws -> [RawRow] {
        guard limit > 0, seq <= through else { return [] }
        return try await rows("""
            SELECT seq, stream, type, time, causation, dictionary, raw_length, body, meta, hash
            FROM ledgerbot_events WHERE seq >= \(Int64(clamping: max(seq, 1))) AND seq <= \(Int64(clamping: through)) ORDER BY seq LIMIT \(Int64(limit))
            """)
    }

    /// Runs a query selecting the ten columns of ``RawRow`` in order.
    func rows(_ query: PostgresQuery) async throws -> [RawRow] {
        var rows: [RawRow] = []
        do {
            let result = try await client.query(query, logger: logger)
            for try await (seq, stream, type, time, causation, dictionary, rawLength, body, meta, hash) in result
                .decode((Int64, String, String, Int64, Int64?, Int32, Int32, ByteBuffer, ByteBuffer, ByteBuffer).self) {
                rows.append(RawRow(seq: seq, stream: stream, type: type, time: time, causation: causation, dictionary: dictionary,
                                   rawLength: rawLength, body: body, meta: meta, hash: hash))
            }
        } catch {
            throw LedgerError(.io, "cannot read the ledger in \(location): \(describe(error))")
        }
        return rows
    }

    /// - Throws: ``LedgerError/Kind/corrupted`` naming the seq when the body does not inflate.
    func decode(_ row: RawRow) throws -> StoredEvent {
        let body: [UInt8]
        do {
            body = try row.body.readableBytesView.withUnsafeBytes {
                try codec.decompress($0, dictionary: UInt32(bitPattern: row.dictionary), rawLength: Int(row.rawLength))
            }
        } catch let error as LedgerError {
            throw LedgerError(.corrupted, "\(error.message) at seq \(row.seq) in \(location)")
        }
        let event = LedgerEvent(seq: Seq(row.seq), stream: row.stream, type: row.type, time: row.time, causation: row.causation.map { Seq($0) },
                                body: body, meta: Array(row.meta.readableBytesView))
        return StoredEvent(event: event, compressedBytes: row.body.readableBytes, link: Array(row.hash.readableBytesView))
    }

    // MARK: Writing

    private func writerLoop(_ wakeups: AsyncStream<Void>) async {
        for await _ in wakeups {
            while let batch = takeBatch() { await write(batch) }
            let waiters: [CheckedContinuation<Void, Never>]? = lock.withLock {
                guard closing && pending.isEmpty else { return nil }
                writerDone = true
                defer { closeWaiters = [] }
                return closeWaiters
            }
            if let waiters {
                waiters.forEach { $0.resume() }
                return
            }
        }
    }

    /// The next transaction's appends: the queued ones in order, up to the batch limits. A
    /// process holds one lease at a time, so a batch carries at most one fence: an append with
    /// another (a lease given up and taken again) waits for the next transaction.
    private func takeBatch() -> [Pending]? {
        lock.lock()
        defer { lock.unlock() }
        guard !pending.isEmpty else { return nil }
        let fence = pending.lazy.compactMap(\.fence).first
        var batch: [Pending] = [], rest: [Pending] = []
        var events = 0, bytes = 0, full = false
        for item in pending {
            full = full || (!batch.isEmpty && (events + item.rows.count > configuration.maxBatchEvents
                                               || bytes + item.bytes > configuration.maxBatchBytes))
            guard !full, item.fence == nil || item.fence == fence else {
                rest.append(item)
                continue
            }
            batch.append(item)
            events += item.rows.count
            bytes += item.bytes
        }
        pending = rest
        return batch
    }

    /// One transaction: lock the head row, insert the rows with their seqs and links, move the
    /// head, notify the other instances (delivered at commit).
    private func write(_ batch: [Pending]) async {
        let allRows = batch.flatMap(\.rows)
        let fence = batch.lazy.compactMap(\.fence).first
        let rowsPerStatement = configuration.rowsPerStatement
        let logger = logger
        // What the transaction wrote, once it is about to commit: if its answer is lost (the
        // deadline closed the connection after COMMIT left), whether it committed is looked up.
        let attempt = AttemptedAppend()
        do {
            let client = client, codec = codec, setsIsolation = setsIsolation
            let lockTimeoutMilliseconds = self.lockTimeoutMilliseconds
            let idleTimeoutMilliseconds = max(15_000, 2 * lockTimeoutMilliseconds)
            let (first, refusal): (Seq, LedgerError?) = try await withDeadline(configuration.appendTimeout, "the append transaction") { deadline in try await client.withTransaction(within: deadline, logger: logger) { connection in
                if setsIsolation { try await connection.query("SET TRANSACTION ISOLATION LEVEL READ COMMITTED", logger: logger) }
                // Server-side bounds, which hold when this client cannot act: waiting for another
                // instance's head lock ends with an error after the append deadline, and a session
                // that stops mid-transaction (a frozen VM, a silent network) is ended by the server
                // soon after, releasing the head row; otherwise every instance's appends waited on
                // it until TCP keepalive gave up, hours later.
                // One round trip for both (`set_config(…, true)` is `SET LOCAL`); its row is read, so an error in it is not lost.
                for try await _ in try await connection.query("""
                    SELECT set_config('lock_timeout', \(String(lockTimeoutMilliseconds)), true),
                           set_config('idle_in_transaction_session_timeout', \(String(idleTimeoutMilliseconds)), true)
                    """, logger: logger) {}
                var previous: Seq = 0
                var link: [UInt8] = []
                for try await (seq, hash) in try await connection.query(
                    "SELECT head_seq, head_hash FROM ledgerbot_ledger WHERE id = 1 FOR UPDATE", logger: logger).decode((Int64, ByteBuffer).self) {
                    previous = Seq(seq)
                    link = Array(hash.readableBytesView)
                }
                guard link.count == 32 else { throw LedgerError(.corrupted, "the ledger's head row is missing or damaged") }
                // A refused fence takes only its own appends out: the others commit as usual.
                let refusal = if let fence { try await Self.refusal(of: fence, on: connection, logger: logger) } else { LedgerError?.none }
                let rows = refusal == nil ? allRows : batch.filter { $0.fence == nil }.flatMap(\.rows)
                if rows.isEmpty { return (previous + 1, refusal) }
                var seq = previous
                for chunk in stride(from: 0, to: rows.count, by: rowsPerStatement) {
                    let slice = rows[chunk..<min(chunk + rowsPerStatement, rows.count)]
                    var sql = "INSERT INTO ledgerbot_events (seq, stream, type, time, causation, dictionary, raw_length, body, meta, hash) VALUES "
                    var binds = PostgresBindings(capacity: slice.count * 10)
                    for (offset, row) in slice.enumerated() {
                        seq += 1
                        link = ContentChain.link(previous: link, seq: seq, digest: row.digest)
                        let p = offset * 10
                        if offset > 0 { sql += "," }
                        sql += "($\(p + 1),$\(p + 2),$\(p + 3),$\(p + 4),$\(p + 5),$\(p + 6),$\(p + 7),$\(p + 8),$\(p + 9),$\(p + 10))"
                        binds.append(Int64(seq))
                        binds.append(row.draft.stream)
                        binds.append(row.draft.type)
                        binds.append(row.draft.time)
                        binds.append(row.draft.causation.map { Int64(clamping: $0) })
                        binds.append(Int32(bitPattern: codec.dictionary.id))
                        binds.append(Int32(row.draft.body.count))
                        binds.append(ByteBuffer(bytes: row.compressed))
                        binds.append(ByteBuffer(bytes: row.draft.meta))
                        binds.append(ByteBuffer(bytes: link))
                    }
                    try await connection.query(PostgresQuery(unsafeSQL: sql, binds: binds), logger: logger)
                }
                try await connection.query("UPDATE ledgerbot_ledger SET head_seq = \(Int64(seq)), head_hash = \(ByteBuffer(bytes: link)) WHERE id = 1",
                                           logger: logger)
                // A command, not a SELECT: postgres-nio reports a row query before it runs, so an
                // error while it ran went unread and COMMIT answered ROLLBACK without one.
                try await connection.query(PostgresQuery(unsafeSQL: "NOTIFY \(Self.channel), '\(seq)'"), logger: logger)
                attempt.record(first: previous + 1, refusal: refusal, last: seq, link: link)
                return (previous + 1, refusal)
            } }
            finish(batch, first: first, refusal: refusal)
        } catch {
            if let written = attempt.value, await committed(through: written.last, link: written.link) {
                logger.warning("ledger append: the answer to COMMIT was lost, but the rows are stored (checked by their hash-chain link)",
                               metadata: ["events": "\(allRows.count)", "error": "\(describe(error))"])
                finish(batch, first: written.first, refusal: written.refusal)
                return
            }
            let failure = ledgerError(in: error)
                ?? LedgerError(.io, "PostgreSQL append failed at \(location): \(describe(error)); the batch was not stored")
            logger.error("ledger append failed", metadata: ["error": "\(failure.message)", "events": "\(allRows.count)"])
            lock.withLock { lastAppendFailed = true }
            for item in batch { item.continuation.resume(throwing: failure) }
        }
    }

    /// Three quarters of the append deadline: a lock wait ends with the server's own error, on
    /// the usual path, rather than by the deadline closing the connection.
    private var lockTimeoutMilliseconds: Int { max(100, Int(configuration.appendTimeout.inSeconds * 750)) }

    /// Whether an append whose answer was lost committed: waits for its transaction to end (it
    /// holds the head row; a `FOR SHARE` lock waits for it), then looks for its last row with
    /// its link. Bounded by the append deadline; false when that cannot be told.
    private func committed(through seq: Seq, link: [UInt8]) async -> Bool {
        let client = client, logger = logger
        let lockTimeoutMilliseconds = self.lockTimeoutMilliseconds
        do {
            return try await withDeadline(configuration.appendTimeout, "checking whether the append committed") { deadline in
                try await client.withTransaction(within: deadline, logger: logger) { connection in
                    for try await _ in try await connection.query("SELECT set_config('lock_timeout', \(String(lockTimeoutMilliseconds)), true)", logger: logger) {}
                    for try await _ in try await connection.query("SELECT head_seq FROM ledgerbot_ledger WHERE id = 1 FOR SHARE", logger: logger) {}
                    var stored: [UInt8]?
                    for try await hash in try await connection.query("SELECT hash FROM ledgerbot_events WHERE seq = \(Int64(seq))", logger: logger)
                        .decode(ByteBuffer.self) {
                        stored = Array(hash.readableBytesView)
                    }
                    return stored == link
                }
            }
        } catch {
            return false
        }
    }

    /// The appends of a committed transaction get their seqs (a fenced one its refusal).
    private func finish(_ batch: [Pending], first: Seq, refusal: LedgerError?) {
        lock.withLock {
            commits += 1
            lastCommit = .now
            lastAppendFailed = false
        }
        var next = first
        for item in batch {
            if let refusal, item.fence != nil {
                item.continuation.resume(throwing: refusal)
                continue
            }
            let range = next...(next + Seq(item.rows.count) - 1)
            next = range.upperBound + 1
            item.continuation.resume(returning: range)
        }
        if next > first { advanceHead(to: next - 1) }
        if let refusal {
            // Not a failure of the database: this instance lost the lease and is about to stop deciding.
            logger.warning("ledger append refused", metadata: ["error": "\(refusal.message)", "events": "\(batch.filter { $0.fence != nil }.reduce(0) { $0 + $1.rows.count })"])
        }
    }

    /// nil while `fence` is its lease's newest generation, else the ``LedgerError/Kind/fenced``
    /// error for its appends. Runs in the append's transaction, after the head row is locked:
    /// `FOR SHARE` makes a new holder raising the generation wait for this append to commit, and
    /// the new holder reads the head only after that, so it sees every decision a fenced append
    /// of the old holder committed.
    private static func refusal(of fence: LeaseFence, on connection: PostgresConnection, logger: Logger) async throws -> LedgerError? {
        var current: Int64?
        for try await generation in try await connection.query(
            "SELECT generation FROM ledgerbot_leases WHERE name = \(fence.name) FOR SHARE", logger: logger).decode(Int64.self) {
            current = generation
        }
        guard current == fence.generation else {
            return LedgerError(.fenced, "the \(fence.name) lease has passed to another instance (generation \(current.map(String.init) ?? "none"), "
                               + "this instance held \(fence.generation)): append refused, so that two instances never decide the same input")
        }
        return nil
    }

    // MARK: Following other writers

    func advanceHead(to seq: Seq) {
        lock.lock()
        guard seq > head else { lock.unlock(); return }
        head = seq
        let streams = Array(subscribers.values)
        lock.unlock()
        for stream in streams { yieldNewest(seq, to: stream) }
    }

    /// Yields `seq`, then the head again if another task moved it meanwhile: the streams keep
    /// only their newest value, so a task yielding an older head after a newer one was yielded
    /// left subscribers on the older one until the next commit (several tasks advance the head:
    /// the writer, LISTEN, the poll, `committedHeadSeq`).
    private func yieldNewest(_ seq: Seq, to stream: AsyncStream<Seq>.Continuation) {
        stream.yield(seq)
        let latest = lock.withLock { head }
        if latest > seq { stream.yield(latest) }
    }

    private func listenLoop() async {
        while !Task.isCancelled {
            do {
                try await client.withConnection { connection in
                    try await connection.listen(on: Self.channel) { notifications in
                        for try await notification in notifications {
                            if let seq = Seq(notification.payload) { advanceHead(to: seq) }
                        }
                    }
                }
            } catch {
                if Task.isCancelled { return }
                logger.debug("LISTEN connection lost; polling until it is back", metadata: ["error": "\(describe(error))"])
            }
            try? await Task.sleep(for: configuration.pollInterval)
        }
    }

    private func pollLoop() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: configuration.pollInterval)
            if Task.isCancelled { return }
            if let seq = try? await currentHeadInDatabase() { advanceHead(to: seq) }
        }
    }

    /// The database's head (other instances' commits included), and this instance's head moved up
    /// to it. `FOR SHARE` waits for an append still committing (it holds the row `FOR UPDATE`):
    /// an instance killed after sending COMMIT leaves a transaction the server still finishes.
    public func committedHeadSeq() async throws -> Seq {
        let head = try await currentHeadInDatabase(waitingForAppends: true)
        advanceHead(to: head)
        return head
    }

    /// The committed head as the database has it now; `waitingForAppends` also waits for an
    /// append that is committing (the poll does not need to).
    public func currentHeadInDatabase(waitingForAppends: Bool = false) async throws -> Seq {
        let query: PostgresQuery = waitingForAppends ? "SELECT head_seq FROM ledgerbot_ledger WHERE id = 1 FOR SHARE"
                                                     : "SELECT head_seq FROM ledgerbot_ledger WHERE id = 1"
        return try await Self.head(from: client.query(query, logger: logger))
    }

    private static func head(on connection: PostgresConnection, logger: Logger) async throws -> Seq {
        try await head(from: connection.query("SELECT head_seq FROM ledgerbot_ledger WHERE id = 1", logger: logger))
    }

    private static func head(from rows: PostgresRowSequence) async throws -> Seq {
        for try await head in rows.decode(Int64.self) { return Seq(head) }
        throw LedgerError(.corrupted, "the ledgerbot_ledger row is missing")
    }
}

/// What an append transaction wrote, recorded just before it commits.
private final class AttemptedAppend: @unchecked Sendable {
    private let lock = NSLock()
    private var written: (first: Seq, refusal: LedgerError?, last: Seq, link: [UInt8])?

    func record(first: Seq, refusal: LedgerError?, last: Seq, link: [UInt8]) {
        lock.withLock { written = (first, refusal, last, link) }
    }

    var value: (first: Seq, refusal: LedgerError?, last: Seq, link: [UInt8])? { lock.withLock { written } }
}

/// Follows a ``PostgresLedger`` by seq (the primary key makes each read an index range scan).
/// Every row read is checked against the content hash chain, as `verify` checks it: a missing
/// row (a gap) or an altered one is an error, never skipped or read as recorded — the file
/// ledger's reads check their frames the same way.
final class PostgresTail: LedgerTailing, @unchecked Sendable {
    private let ledger: PostgresLedger
    private(set) var nextSeq: Seq
    /// The chain through `nextSeq - 1`, once the first read fetched the link it starts from.
    private var chain: ContentChain?

    init(ledger: PostgresLedger, from seq: Seq) {
        self.ledger = ledger
        nextSeq = max(seq, 1)
    }

    func read(through: Seq, limit: Int) async throws -> [LedgerEvent] {
        guard nextSeq <= through else { return [] }
        var chain: ContentChain
        if let known = self.chain { chain = known } else { chain = try await ledger.chain(before: nextSeq) }
        let rows = try await ledger.fetch(from: nextSeq, through: through, limit: limit)
        for row in rows { try PostgresLedger.extend(&chain, with: row) }
        self.chain = chain
        if let last = rows.last { nextSeq = last.event.seq + 1 }
        return rows.map(\.event)
    }
}
