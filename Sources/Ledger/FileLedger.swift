import Foundation
import Logging

/// The embedded ledger: append-only segment files with group commit, zlib + preset
/// dictionary compression, CRC-framed batches, a SHA-256 hash chain and a SQLite index.
///
/// ```swift
/// let (ledger, report) = try FileLedger.open(directory: LedgerDirectory(dataPath: "data"))
/// let seqs = try await ledger.append([EventDraft(stream: "1/128", type: "webhook.received", time: now, body: bytes)])
/// await ledger.close()
/// ```
///
/// Concurrency: any number of tasks may call ``append(_:)`` at once. Appends queued while a
/// frame is being written go into the next frame, and every frame written while an
/// `fdatasync` runs shares the next one (group commit). The threads: compressors
/// (``LedgerConfiguration/compressionThreads``, each turning queued appends into a frame
/// payload), the writer (frames in order: seqs, hash chain, `pwrite`), the syncer
/// (`fdatasync`, then answer the appenders) and the indexer (SQLite). An append returns only
/// after its frame is durable.
///
/// Only one process may write a ledger: ``open(directory:configuration:create:repair:logger:)``
/// takes an exclusive `flock` on `DATA/ledger/LOCK`.
public final class FileLedger: LedgerStore, @unchecked Sendable {
    // Every mutable property below is guarded by `condition` unless marked thread-confined.
    public let directory: LedgerDirectory
    public let configuration: LedgerConfiguration
    public let ledgerID: [UInt8]
    private let logger: Logger
    private let lockFD: Int32
    fileprivate let condition = NSCondition()

    private struct Pending {
        var drafts: [EventDraft]
        var bytes: Int
        var continuation: CheckedContinuation<ClosedRange<Seq>, Error>
    }
    private var pending: [Pending] = []
    private var syncQueue: [(WrittenFrame, [CheckedContinuation<ClosedRange<Seq>, Error>])] = []
    private var indexQueue: [IndexedFrame] = []
    fileprivate var failure: LedgerError?
    fileprivate var closing = false
    fileprivate var lastCommit: ContinuousClock.Instant?
    private var writerDone = false
    private var syncerDone = false
    private var indexerDone = false
    private var closeWaiters: [CheckedContinuation<Void, Never>] = []
    private var head: Seq
    private var headHashValue: [UInt8]
    private var subscribers: [UInt64: AsyncStream<Seq>.Continuation] = [:]
    private var nextSubscriberID: UInt64 = 0

    private var nextOrder = 0
    private var nextToWrite = 0
    private var compressed: [Int: (Result<PreparedFrame, Error>, [Pending])] = [:]
    private var compressorsRunning = 0

    private let writer: SegmentWriter          // thread-confined: writer thread
    private let deflaters: [Deflater]          // one per compressor thread, each confined to it
    private let index: LedgerIndex?            // thread-confined: indexer

    private init(directory: LedgerDirectory, configuration: LedgerConfiguration, ledgerID: [UInt8], logger: Logger,
                 lockFD: Int32, writer: SegmentWriter, deflaters: [Deflater], index: LedgerIndex?, head: Seq, headHash: [UInt8]) {
        self.deflaters = deflaters
        self.directory = directory
        self.configuration = configuration
        self.ledgerID = ledgerID
        self.logger = logger
        self.lockFD = lockFD
        self.writer = writer
        self.index = index
        self.head = head
        self.headHashValue = headHash
    }

    // MARK: Opening

    /// Opens the ledger under `directory` for writing, recovering from a crash if needed.
    ///
    /// Recovery checks every frame's CRC and the whole hash chain. A torn last frame (a crash
    /// mid-write: never acknowledged) is truncated and reported in ``OpenReport/truncated``.
    /// Any other damage throws ``LedgerError/Kind/corrupted`` naming segment, offset and seq —
    /// unless `repair` is true, in which case the damaged frame and everything after it are
    /// moved to `DATA/ledger/quarantine/` (never deleted) and reported.
    ///
    /// - Parameters:
    ///   - create: create a new ledger when the directory has none.
    /// - Throws: ``LedgerError`` — `.locked` when another process writes this ledger,
    ///   `.notFound`/`.foreign` for a wrong directory, `.corrupted`, `.io`.
    public static func open(directory: LedgerDirectory, configuration: LedgerConfiguration = .init(),
                            create: Bool = true, repair: Bool = false, logger: Logger? = nil) throws -> (FileLedger, OpenReport) {
        let logger = logger ?? Logger(label: "ledgerbot.ledger", factory: { _ in SwiftLogNoOpLogHandler() })
        let ledgerID: [UInt8]
        do {
            ledgerID = try directory.readManifest()
        } catch let error as LedgerError where error.kind == .notFound && create {
            try FileSystem.makeDirectories(directory.dataPath)
            if FileSystem.exists(directory.ledgerPath) { throw error }
            ledgerID = try directory.create()
        }
        let lockFD = try acquireLock(directory)
        do {
            var report = OpenReport()
            let recovered = try recover(directory: directory, ledgerID: ledgerID, configuration: configuration, repair: repair, report: &report, logger: logger)
            let writer = try SegmentWriter(directory: directory, ledgerID: ledgerID, configuration: configuration,
                                           lastSegment: recovered.lastSegment, nextSeq: recovered.headSeq + 1, previousHash: recovered.headHash)
            let index = configuration.maintainIndex ? recovered.index : nil
            let deflaters = try (0..<max(1, configuration.compressionThreads)).map { _ in
                try Deflater(level: configuration.compressionLevel, dictionary: configuration.dictionary.bytes)
            }
            let ledger = FileLedger(directory: directory, configuration: configuration, ledgerID: ledgerID, logger: logger,
                                    lockFD: lockFD, writer: writer, deflaters: deflaters, index: index, head: recovered.headSeq, headHash: recovered.headHash)
            ledger.startThreads()
            report.headSeq = recovered.headSeq
            return (ledger, report)
        } catch {
            closeDescriptor(lockFD)
            throw error
        }
    }

    fileprivate static func acquireLock(_ directory: LedgerDirectory) throws -> Int32 {
        let fd = Foundation.open(directory.lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw LedgerError.io("cannot open lock file", path: directory.lockPath, errno: errno) }
        // A child process forked elsewhere in this process (before its exec closes our
        // close-on-exec descriptors) briefly shares the lock: give such a copy 250 ms to go.
        var locked = flock(fd, LOCK_EX | LOCK_NB) == 0
        var attempts = 0
        while !locked && errno == EWOULDBLOCK && attempts < 50 {
            attempts += 1
            usleep(5_000)
            locked = flock(fd, LOCK_EX | LOCK_NB) == 0
        }
        if !locked {
            let holder = (try? FileSystem.readText(directory.lockPath))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
            closeDescriptor(fd)
            throw LedgerError(.locked, "the ledger in \(directory.dataPath) is locked by another process\(holder.isEmpty ? "" : " (pid \(holder))"); stop it first (only one writer may append to a ledger)")
        }
        let pid = Array("\(getpid())\n".utf8)
        _ = ftruncate(fd, 0)
        _ = pid.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) } // informational only; the flock is what locks
        return fd
    }

    private struct Recovered {
        var headSeq: Seq
        var headHash: [UInt8]
        var lastSegment: SegmentSummary?
        var index: LedgerIndex?
    }

    private static func recover(directory: LedgerDirectory, ledgerID: [UInt8], configuration: LedgerConfiguration,
                                repair: Bool, report: inout OpenReport, logger: Logger) throws -> Recovered {
        var index = configuration.maintainIndex ? try openIndexOrReset(directory, ledgerID: ledgerID, logger: logger, report: &report) : nil
        let indexedLast = try index?.lastFrame()
        let iterator = try FrameIterator(directory: directory, ledgerID: ledgerID, dictionaries: configuration.readableDictionaries)
        var catchUp: [IndexedFrame] = []
        let inflater = try Inflater()
        var indexMatches = indexedLast == nil
        do {
            while let frame = try iterator.next() {
                if let indexedLast, frame.header.firstSeq == indexedLast.firstSeq {
                    indexMatches = frame.header.hash == indexedLast.hash && frame.segment == indexedLast.segment && frame.offset == indexedLast.offset
                }
                if index != nil, frame.header.firstSeq > (indexedLast?.lastSeq ?? 0) {
                    let events = try frame.events(using: inflater)
                    catchUp.append(IndexedFrame(location: FrameLocation(firstSeq: frame.header.firstSeq, lastSeq: frame.header.lastSeq, segment: frame.segment,
                                                                        offset: frame.offset, length: Int64(frame.header.totalLength), hash: frame.header.hash),
                                                events: events.map { IndexedEvent(stream: $0.stream, type: $0.type, time: $0.time) }))
                    if catchUp.count >= 512 {
                        try index?.insert(catchUp)
                        report.indexedFrames += catchUp.count
                        catchUp.removeAll(keepingCapacity: true)
                    }
                }
            }
        } catch let error as LedgerError where error.kind == .corrupted {
            guard repair, let location = error.location else {
                throw LedgerError(.corrupted, "\(error.message); the ledger will not open for writing. Run `ledgerbot ledger verify --data \(directory.dataPath)` for details, and `ledgerbot ledger repair --data \(directory.dataPath)` to move the damaged frames aside", location: error.location)
            }
            report.quarantined = try quarantine(directory: directory, from: location, logger: logger)
            index = nil
            try? FileSystem.remove(directory.indexPath) // derived data; rebuilt below
            return try recover(directory: directory, ledgerID: ledgerID, configuration: configuration, repair: false, report: &report, logger: logger)
        }
        // The index is a second witness: a "torn" frame it already recorded was acknowledged, so it is damage, not a crash.
        if let torn = iterator.torn {
            if let indexedLast, indexedLast.segment == torn.segment, indexedLast.offset + indexedLast.length > torn.offset {
                let location = LedgerError.Location(segment: torn.segment, offset: torn.offset, seq: iterator.expectedSeq)
                guard repair else {
                    throw LedgerError(.corrupted, "the last frame is damaged but the index shows it was acknowledged (\(torn.reason)); run `ledgerbot ledger repair --data \(directory.dataPath)` to move it aside",
                                      location: location)
                }
                // Acknowledged bytes are damage, not a crash mid-write: moved aside like any
                // damage, never truncated away.
                report.quarantined = try quarantine(directory: directory, from: location, logger: logger)
                try? FileSystem.remove(directory.indexPath) // derived data; rebuilt below
                return try recover(directory: directory, ledgerID: ledgerID, configuration: configuration, repair: false, report: &report, logger: logger)
            }
            try truncate(directory: directory, torn: torn, emptySegment: iterator.emptyTailSegment)
            report.truncated = torn
            logger.warning("truncated torn tail", metadata: ["ledger.segment": "\(torn.segment)", "ledger.offset": "\(torn.offset)", "ledger.bytes": "\(torn.bytes)"])
        }
        let headSeq = iterator.expectedSeq - 1
        if let index {
            if !indexMatches || (indexedLast?.lastSeq ?? 0) > headSeq {
                if !indexMatches {
                    // The index describes a different history: drop it and rebuild from the segments.
                    try? index.connection.execute("DELETE FROM frames; DELETE FROM events;")
                    report.indexRebuilt = true
                    return try recover(directory: directory, ledgerID: ledgerID, configuration: configuration, repair: repair, report: &report, logger: logger)
                }
                try index.deleteFrom(headSeq + 1)
            }
            if !catchUp.isEmpty {
                try index.insert(catchUp)
                report.indexedFrames += catchUp.count
            }
        }
        let lastSegment = iterator.summaries.last(where: { $0.name != iterator.emptyTailSegment })
        return Recovered(headSeq: headSeq, headHash: iterator.headHash, lastSegment: lastSegment, index: index)
    }

    private static func openIndexOrReset(_ directory: LedgerDirectory, ledgerID: [UInt8], logger: Logger, report: inout OpenReport) throws -> LedgerIndex {
        do {
            return try LedgerIndex(path: directory.indexPath, ledgerID: ledgerID)
        } catch let error as LedgerError where error.kind == .index {
            logger.warning("index does not match the ledger; rebuilding it", metadata: ["error": "\(error)"])
            for suffix in ["", "-wal", "-shm"] { try FileSystem.remove(directory.indexPath + suffix) }
            report.indexRebuilt = true
            return try LedgerIndex(path: directory.indexPath, ledgerID: ledgerID)
        }
    }

    private static func truncate(directory: LedgerDirectory, torn: TornTail, emptySegment: String?) throws {
        let path = directory.segmentPath(torn.segment)
        if emptySegment == torn.segment {
            try FileSystem.remove(path)
        } else {
            guard Foundation.truncate(path, off_t(torn.offset)) == 0 else { throw LedgerError.io("cannot truncate torn tail of", path: path, errno: errno) }
            let fd = Foundation.open(path, O_RDONLY | O_CLOEXEC)
            if fd >= 0 { _ = fsync(fd); closeDescriptor(fd) }
        }
        try FileSystem.syncDirectory(directory.ledgerPath)
    }

    /// Moves the bytes from `location` to the end of its segment, and every later segment,
    /// into the quarantine folder. Returns the quarantine file names.
    private static func quarantine(directory: LedgerDirectory, from location: LedgerError.Location, logger: Logger) throws -> [String] {
        try FileSystem.makeDirectories(directory.quarantinePath)
        var moved: [String] = []
        let names = try directory.segmentNames()
        guard let position = names.firstIndex(of: location.segment) else { return [] }
        let path = directory.segmentPath(location.segment)
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        let keep = location.offset <= Int64(SegmentFormat.headerSize) ? 0 : Int(location.offset)
        // A name of its own: an earlier repair's file is never overwritten.
        var tailName = "\(location.segment).from-\(keep).bin"
        var copy = 1
        while FileManager.default.fileExists(atPath: directory.quarantinePath + "/" + tailName) {
            copy += 1
            tailName = "\(location.segment).from-\(keep).\(copy).bin"
        }
        try FileSystem.writeDurably(directory.quarantinePath + "/" + tailName, contents: [UInt8](data[keep...]))
        moved.append(tailName)
        if keep == 0 {
            try FileSystem.remove(path)
        } else {
            guard Foundation.truncate(path, off_t(keep)) == 0 else { throw LedgerError.io("cannot truncate", path: path, errno: errno) }
        }
        for later in names[(position + 1)...] {
            var name = later
            var copy = 1
            while FileManager.default.fileExists(atPath: directory.quarantinePath + "/" + name) {
                copy += 1
                name = "\(later).\(copy)"
            }
            guard rename(directory.segmentPath(later), directory.quarantinePath + "/" + name) == 0 else {
                throw LedgerError.io("cannot move to quarantine", path: later, errno: errno)
            }
            moved.append(name)
        }
        try FileSystem.syncDirectory(directory.ledgerPath)
        try FileSystem.syncDirectory(directory.quarantinePath)
        logger.warning("moved damaged ledger data to quarantine", metadata: ["ledger.quarantined": "\(moved)"])
        return moved
    }

    // MARK: Appending

    /// Appends `drafts` atomically (they land in one frame) and returns their seqs once durable.
    /// - Throws: ``LedgerError`` — `.invalidArgument` for an empty or oversized batch,
    ///   `.io` when the write failed (nothing of the batch was stored), `.closed` after ``close()``
    ///   or after an unrecoverable `fdatasync` error.
    public func append(_ drafts: [EventDraft]) async throws -> ClosedRange<Seq> {
        guard !drafts.isEmpty else { throw LedgerError(.invalidArgument, "append needs at least one event") }
        var bytes = 0
        for draft in drafts {
            try EventCoding.validate(draft)
            bytes += EventCoding.encodedSize(draft)
        }
        return try await withCheckedThrowingContinuation { continuation in
            condition.lock()
            defer { condition.unlock() }
            if let failure {
                continuation.resume(throwing: failure)
            } else if closing {
                continuation.resume(throwing: LedgerError(.closed, "the ledger is closed"))
            } else {
                pending.append(Pending(drafts: drafts, bytes: bytes, continuation: continuation))
                condition.broadcast()
            }
        }
    }

    public func headSeq() async -> Seq { currentHead.seq }

    /// The last durable seq and the hash of the frame holding it.
    public var currentHead: (seq: Seq, hash: [UInt8]) {
        condition.lock()
        defer { condition.unlock() }
        return (head, headHashValue)
    }

    public func read(from seq: Seq, limit: Int) async throws -> [LedgerEvent] {
        let through = currentHead.seq
        guard seq <= through, limit > 0 else { return [] }
        let cursor = try LedgerCursor(directory: directory, from: seq, through: through, dictionaries: configuration.readableDictionaries,
                                      decoders: limit > 10_000 ? 2 : 0)
        var events: [LedgerEvent] = []
        while events.count < limit, let event = try cursor.next() { events.append(event) }
        return events
    }

    public func subscribe() -> AsyncStream<Seq> {
        let (stream, continuation) = AsyncStream<Seq>.makeStream(bufferingPolicy: .bufferingNewest(1))
        condition.lock()
        let id = nextSubscriberID
        nextSubscriberID += 1
        subscribers[id] = continuation
        let current = head
        condition.unlock()
        continuation.yield(current)
        continuation.onTermination = { [weak self] _ in
            guard let self else { return }
            self.condition.lock()
            self.subscribers[id] = nil
            self.condition.unlock()
        }
        return stream
    }

    /// Stops accepting appends, finishes queued ones, syncs, updates the index and releases the lock.
    public func close() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            condition.lock()
            closing = true
            if indexerDone {
                condition.unlock()
                continuation.resume()
                return
            }
            closeWaiters.append(continuation)
            condition.broadcast()
            condition.unlock()
        }
    }

    // MARK: Threads

    private func startThreads() {
        compressorsRunning = deflaters.count
        for i in deflaters.indices {
            let compressor = Thread { [self] in compressorLoop(deflaters[i]) } // each thread owns deflaters[i]
            compressor.name = "ledger-compress-\(i)"
            compressor.start()
        }
        let writerThread = Thread { [self] in writerLoop() }
        writerThread.name = "ledger-writer"
        let syncer = Thread { [self] in syncerLoop() }
        syncer.name = "ledger-syncer"
        let indexer = Thread { [self] in indexerLoop() }
        indexer.name = "ledger-indexer"
        writerThread.start()
        syncer.start()
        indexer.start()
    }

    /// Compressor threads: each takes the appends queued so far as one batch, numbered in
    /// order, and compresses it; several batches compress at once on several cores. A batch
    /// is formed only when a compressor is free, so batches grow under load.
    private func compressorLoop(_ deflater: Deflater) {
        while true {
            condition.lock()
            while pending.isEmpty && !closing { condition.wait() }
            if pending.isEmpty {
                compressorsRunning -= 1
                condition.broadcast()
                condition.unlock()
                return
            }
            var take = 0
            var bytes = 0
            while take < pending.count && (take == 0 || bytes + pending[take].bytes <= configuration.maxFrameBytes) {
                bytes += pending[take].bytes
                take += 1
            }
            let batch = Array(pending[0..<take])
            pending.removeFirst(take)
            let order = nextOrder
            nextOrder += 1
            condition.unlock()

            let prepared = Result { try SegmentWriter.prepare(batch.map(\.drafts), deflater: deflater, maintainIndex: configuration.maintainIndex) }
            condition.lock()
            compressed[order] = (prepared, batch)
            condition.broadcast()
            condition.unlock()
        }
    }

    /// The writer thread: writes compressed frames in batch order, assigning seqs and extending
    /// the hash chain, then hands them to the syncer.
    private func writerLoop() {
        while true {
            condition.lock()
            while compressed[nextToWrite] == nil && !(compressorsRunning == 0 && compressed.isEmpty) { condition.wait() }
            guard let (prepared, batch) = compressed.removeValue(forKey: nextToWrite) else {
                writerDone = true
                condition.broadcast()
                condition.unlock()
                return
            }
            nextToWrite += 1
            let failed = failure
            condition.unlock()

            let continuations = batch.map(\.continuation)
            if let failed {
                for continuation in continuations { continuation.resume(throwing: failed) }
                continue
            }
            do {
                let written = try writer.write(try prepared.get())
                if configuration.durability == .none {
                    for handle in written.retired { handle.close() }
                    complete(written, continuations)
                } else {
                    condition.lock()
                    syncQueue.append((written, continuations))
                    condition.broadcast()
                    condition.unlock()
                }
            } catch let broken as BrokenWriter {
                fail(continuations, with: broken.underlying, permanently: true)
            } catch {
                let ledgerError = error as? LedgerError ?? LedgerError(.io, "\(error)")
                logger.error("ledger write failed", metadata: ["error": "\(ledgerError)"])
                fail(continuations, with: ledgerError, permanently: false)
            }
        }
    }

    private func syncerLoop() {
        while true {
            condition.lock()
            while syncQueue.isEmpty && !writerDone { condition.wait() }
            if syncQueue.isEmpty {
                syncerDone = true
                condition.broadcast()
                condition.unlock()
                writer.closeCurrent() // the writer thread has finished: nothing else touches the segment writer now
                return
            }
            let items = syncQueue
            syncQueue.removeAll(keepingCapacity: true)
            let stopped = failure
            condition.unlock()
            if let stopped {
                // A sync failed before: frames written since sit behind bytes the kernel may
                // have dropped, and a later fdatasync returning 0 proves nothing about those
                // (Linux reports a writeback error once). None of them is acknowledged.
                fail(items.flatMap(\.1), with: stopped, permanently: true)
                continue
            }

            do {
                var synced = Set<String>()
                for (written, _) in items {
                    for handle in written.retired where synced.insert(handle.name).inserted { try handle.sync() }
                }
                for (written, _) in items.reversed() where synced.insert(written.handle.name).inserted {
                    try written.handle.sync()
                }
                if items.contains(where: { $0.0.createdSegment }) { try FileSystem.syncDirectory(directory.ledgerPath) }
                for (written, continuations) in items {
                    for handle in written.retired { handle.close() }
                    complete(written, continuations)
                }
            } catch {
                // After a failed fdatasync the kernel may have dropped the dirty pages: nothing
                // written since the last good sync can be trusted, so stop writing for good.
                let ledgerError = LedgerError(.io, "\(error); the ledger stopped accepting writes, restart after fixing the disk")
                logger.critical("ledger fdatasync failed", metadata: ["error": "\(ledgerError)"])
                fail(items.flatMap(\.1), with: ledgerError, permanently: true)
            }
        }
    }

    private func complete(_ written: WrittenFrame, _ continuations: [CheckedContinuation<ClosedRange<Seq>, Error>]) {
        condition.lock()
        head = written.location.lastSeq
        headHashValue = written.location.hash
        lastCommit = .now
        if index != nil {
            indexQueue.append(IndexedFrame(location: written.location, events: written.events))
            condition.broadcast()
        }
        let current = head
        let listeners = Array(subscribers.values)
        condition.unlock()
        for (continuation, range) in zip(continuations, written.ranges) { continuation.resume(returning: range) }
        for listener in listeners { listener.yield(current) }
    }

    private func fail(_ continuations: [CheckedContinuation<ClosedRange<Seq>, Error>], with error: LedgerError, permanently: Bool) {
        if permanently {
            condition.lock()
            if failure == nil { failure = LedgerError(.closed, error.message) }
            condition.unlock()
        }
        for continuation in continuations { continuation.resume(throwing: error) }
    }

    private func indexerLoop() {
        // The index must stay a prefix of the ledger: recovery catches it up from its last frame
        // only. After an update that keeps failing, nothing later is indexed in this process.
        var indexStopped = false
        while true {
            condition.lock()
            while indexQueue.isEmpty && !syncerDone { condition.wait() }
            if indexQueue.isEmpty {
                indexerDone = true
                let waiters = closeWaiters
                closeWaiters.removeAll()
                let listeners = Array(subscribers.values)
                subscribers.removeAll()
                condition.unlock()
                closeDescriptor(lockFD)
                for listener in listeners { listener.finish() }
                for waiter in waiters { waiter.resume() }
                return
            }
            let frames = indexQueue
            indexQueue.removeAll(keepingCapacity: true)
            condition.unlock()
            guard !indexStopped, let index else { continue }
            var attempt = 0
            while true {
                do {
                    try index.insert(frames)
                    break
                } catch {
                    attempt += 1
                    if attempt < 3 {
                        usleep(100_000) // a busy database (another connection's transaction) clears
                        continue
                    }
                    // The index is derived: the next open catches it up from the segments.
                    indexStopped = true
                    logger.error("ledger index update failed; the index stops here and is caught up on the next open", metadata: ["error": "\(error)"])
                    break
                }
            }
        }
    }
}

extension FileLedger {
    /// Deletes `DATA/index.sqlite` and rebuilds it from the segments (takes the writer lock).
    /// Projection checkpoints are reset with it: projections rebuild from seq 1.
    public static func rebuildIndex(directory: LedgerDirectory, configuration: LedgerConfiguration = .init(), logger: Logger? = nil) async throws -> OpenReport {
        let ledgerID = try directory.readManifest()
        let lockFD = try acquireLock(directory)
        do {
            // The index is the only witness that a torn last frame was acknowledged: ask it before
            // deleting it, or recovery would truncate acknowledged events as a crash mid-write.
            let iterator = try FrameIterator(directory: directory, ledgerID: ledgerID, dictionaries: configuration.readableDictionaries)
            do {
                while try iterator.next() != nil {}
            } catch let error as LedgerError where error.kind == .corrupted {
                throw LedgerError(.corrupted, "\(error.message); the index was not rebuilt. Run `ledgerbot ledger verify --data \(directory.dataPath)` for details, and `ledgerbot ledger repair --data \(directory.dataPath)` to move the damaged frames aside", location: error.location)
            }
            if let damage = LedgerInspection.acknowledgedDamage(directory: directory, torn: iterator.torn, readHead: iterator.expectedSeq - 1) { throw damage }
            for suffix in ["", "-wal", "-shm"] { try FileSystem.remove(directory.indexPath + suffix) }
        } catch {
            closeDescriptor(lockFD)
            throw error
        }
        closeDescriptor(lockFD)
        var configuration = configuration
        configuration.maintainIndex = true
        let (ledger, report) = try open(directory: directory, configuration: configuration, create: false, logger: logger)
        await ledger.close()
        return report
    }
}

extension FileLedger {
    /// False once a write error stopped the ledger for good (health checks report it).
    public var isWritable: Bool {
        condition.lock()
        defer { condition.unlock() }
        return failure == nil && !closing
    }

    /// Seconds since the last durable append (nil before the first one in this process).
    public var secondsSinceLastAppend: Double? {
        condition.lock()
        defer { condition.unlock() }
        return lastCommit.map { (ContinuousClock.now - $0).inSeconds }
    }
}
