#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// An open segment file being appended to.
final class SegmentHandle: @unchecked Sendable {
    // Immutable after init; the descriptor is closed exactly once by the thread that retires it.
    let name: String
    let path: String
    let fd: Int32

    init(name: String, path: String, fd: Int32) {
        self.name = name
        self.path = path
        self.fd = fd
    }

    func sync() throws {
        if let delay = Self.injectedFailure(path) {
            usleep(UInt32(delay.components.seconds * 1_000_000 + delay.components.attoseconds / 1_000_000_000_000))
            throw LedgerError.io("cannot fdatasync (injected by a test)", path: path, errno: EIO)
        }
        guard fdatasync(fd) == 0 else { throw LedgerError.io("cannot fdatasync", path: path, errno: errno) }
    }

    /// Tests only: the next syncs of segments under a folder fail (after a delay), as a disk's
    /// EIO would. Empty in production: one uncontended lock per sync.
    static let injectedSyncFailures = Mutex<[String: (delay: Duration, count: Int)]>([:])

    /// Tests only: the next frame writes into segments under a folder fail, as a full disk would.
    static let injectedWriteFailures = Mutex<[String: Int]>([:])

    static func injectedWriteFailure(_ path: String) -> Bool {
        injectedWriteFailures.withLock { failures in
            guard let folder = failures.keys.first(where: { path.hasPrefix($0) }), let count = failures[folder], count > 0 else { return false }
            failures[folder] = count > 1 ? count - 1 : nil
            return true
        }
    }

    private static func injectedFailure(_ path: String) -> Duration? {
        injectedSyncFailures.withLock { failures in
            guard let folder = failures.keys.first(where: { path.hasPrefix($0) }), let fault = failures[folder], fault.count > 0 else { return nil }
            failures[folder] = fault.count > 1 ? (fault.delay, fault.count - 1) : nil
            return fault.delay
        }
    }

    func close() { closeDescriptor(fd) }
}

/// The result of writing one frame: what the syncer must make durable before it can
/// answer the appenders.
struct WrittenFrame: @unchecked Sendable {
    var handle: SegmentHandle
    var location: FrameLocation
    var events: [IndexedEvent]
    var ranges: [ClosedRange<Seq>]
    /// Segments closed by a rotation just before this frame: sync, then close them.
    var retired: [SegmentHandle]
    /// A new segment file was created: the directory entry needs an fsync too.
    var createdSegment: Bool
}

/// Encodes batches into frames and writes them at the end of the current segment.
/// Confined to the ledger's encoder thread.
final class SegmentWriter {
    let directory: LedgerDirectory
    let ledgerID: [UInt8]
    let configuration: LedgerConfiguration
    private(set) var current: SegmentHandle?
    /// Segments left behind by a rotation, and whether it created one, until a frame written
    /// after it hands them to the syncer: when the new segment's first write fails, the next
    /// frame must still fsync the old segment and the directory entry of the new one.
    private var retiredSinceLastFrame: [SegmentHandle] = []
    private var createdSinceLastFrame = false
    private var currentDictionary: CompressionDictionary
    private(set) var endOffset: Int64 = 0
    private(set) var nextSeq: Seq
    private(set) var previousHash: [UInt8]

    init(directory: LedgerDirectory, ledgerID: [UInt8], configuration: LedgerConfiguration,
         lastSegment: SegmentSummary?, nextSeq: Seq, previousHash: [UInt8]) throws {
        self.directory = directory
        self.ledgerID = ledgerID
        self.configuration = configuration
        self.nextSeq = nextSeq
        self.previousHash = previousHash
        currentDictionary = configuration.dictionary
        // Keep appending to the last segment only if it uses the configured dictionary and this
        // build's frame layout, and has room; otherwise the next frame starts a new segment.
        if let last = lastSegment, last.dictionaryID == configuration.dictionary.id, last.format == SegmentFormat.version,
           last.validBytes < configuration.segmentSize {
            let path = directory.segmentPath(last.name)
            let fd = open(path, O_WRONLY | O_CLOEXEC)
            guard fd >= 0 else { throw LedgerError.io("cannot open for writing", path: path, errno: errno) }
            current = SegmentHandle(name: last.name, path: path, fd: fd)
            endOffset = last.validBytes
        } else if let last = lastSegment, last.frames == 0 {
            // A segment that holds only its header (its first frame never written) but cannot be
            // continued: the next segment would have its name. Nothing in it was acknowledged.
            try FileSystem.remove(directory.segmentPath(last.name))
            try FileSystem.syncDirectory(directory.ledgerPath)
        }
    }

    /// Encodes and compresses `batches` (each one append, kept whole) into a frame payload.
    /// Needs no ledger state (seqs are implicit in the payload), so it runs on any compressor thread.
    static func prepare(_ batches: [[EventDraft]], deflater: Deflater, maintainIndex: Bool) throws -> PreparedFrame {
        let drafts = Array(batches.joined())
        var raw = ByteWriter(capacity: 4 + drafts.reduce(0) { $0 + EventCoding.encodedSize($1) })
        EventCoding.appendFrame(drafts, to: &raw)
        let counts = batches.map(\.count)
        let indexed = maintainIndex ? drafts.map { IndexedEvent(stream: $0.stream, type: $0.type, time: $0.time) } : []
        return PreparedFrame(payload: try deflater.compress(raw.bytes), rawLength: raw.bytes.count, batchCounts: counts, events: indexed)
    }

    /// Writes a prepared frame at the end of the current segment, assigning its seqs.
    ///
    /// On a write error the segment is truncated back to its previous end, so the file
    /// stays valid and later appends may succeed; if even that fails, ``BrokenWriter`` is thrown.
    func write(_ prepared: PreparedFrame) throws -> WrittenFrame {
        var ranges: [ClosedRange<Seq>] = []
        var seq = nextSeq
        for count in prepared.batchCounts {
            ranges.append(seq...(seq + Seq(count) - 1))
            seq += Seq(count)
        }
        let count = Int(seq - nextSeq)
        let frame = FrameFormat.build(payload: prepared.payload, rawLength: prepared.rawLength, count: count, firstSeq: nextSeq, previousHash: previousHash)

        if current == nil || endOffset + Int64(frame.bytes.count) > configuration.segmentSize && endOffset > Int64(SegmentFormat.headerSize) {
            if let old = current { retiredSinceLastFrame.append(old) }
            current = nil
            try startSegment()
            createdSinceLastFrame = true
        }
        guard let handle = current else { throw LedgerError(.io, "no segment open for writing") }
        do {
            if SegmentHandle.injectedWriteFailure(handle.path) { throw LedgerError.io("cannot write (injected by a test)", path: handle.path, errno: ENOSPC) }
            try FileSystem.writeAll(fd: handle.fd, frame.bytes, at: endOffset, path: handle.path)
        } catch {
            // Undo a partial write so the file ends on a frame boundary again.
            if ftruncate(handle.fd, off_t(endOffset)) != 0 {
                throw BrokenWriter(underlying: LedgerError(.io, "\(error); truncating \(handle.path) back to \(endOffset) bytes failed too (\(String(cString: strerror(errno)))); the ledger stopped accepting writes"))
            }
            throw error
        }
        let location = FrameLocation(firstSeq: nextSeq, lastSeq: seq - 1, segment: handle.name, offset: endOffset,
                                      length: Int64(frame.bytes.count), hash: frame.hash)
        endOffset += Int64(frame.bytes.count)
        nextSeq = seq
        previousHash = frame.hash
        defer { retiredSinceLastFrame = []; createdSinceLastFrame = false }
        return WrittenFrame(handle: handle, location: location, events: prepared.events, ranges: ranges,
                            retired: retiredSinceLastFrame, createdSegment: createdSinceLastFrame)
    }

    private func startSegment() throws {
        let name = SegmentFormat.fileName(firstSeq: nextSeq)
        let path = directory.segmentPath(name)
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw LedgerError.io("cannot create segment", path: path, errno: errno) }
        let header = SegmentFormat.encode(.init(dictionaryID: currentDictionary.id, firstSeq: nextSeq, ledgerID: ledgerID, previousHash: previousHash))
        do {
            try FileSystem.writeAll(fd: fd, header, at: 0, path: path)
        } catch {
            closeDescriptor(fd)
            try? FileSystem.remove(path) // best effort: an empty or partial header file is recovered as a torn tail anyway
            throw error
        }
        current = SegmentHandle(name: name, path: path, fd: fd)
        endOffset = Int64(header.count)
    }

    func closeCurrent() {
        current?.close()
        current = nil
        for handle in retiredSinceLastFrame { handle.close() }
        retiredSinceLastFrame = []
    }
}

/// A compressed frame payload waiting for its place (and seqs) in the ledger.
struct PreparedFrame: @unchecked Sendable {
    // Plain values, handed from one thread to another under the ledger's lock.
    var payload: [UInt8]
    var rawLength: Int
    /// Events per append, in order.
    var batchCounts: [Int]
    var events: [IndexedEvent]
}

/// A write error after which the segment could not be restored: the ledger must stop writing.
struct BrokenWriter: Error { var underlying: LedgerError }
