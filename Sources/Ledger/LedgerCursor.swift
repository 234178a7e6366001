/// Reads events in seq order, one frame in memory at a time (resident memory stays flat
/// whatever the ledger size). Needs no lock: it may run beside a writer, and stops at the
/// last whole frame (or at `through`).
///
/// ```swift
/// let cursor = try LedgerCursor(directory: LedgerDirectory(dataPath: "data"))
/// while let event = try cursor.next() { … }
/// ```
public final class LedgerCursor {
    /// Parallel decoding for long reads; nil for inline decoding (short reads, `decoders: 0`).
    private let pipeline: FramePipeline?
    private let iterator: FrameIterator?
    private let inflater: Inflater?
    private let from: Seq
    private let through: Seq
    private let deferringBodies: Bool
    private var buffer: [LedgerEvent] = []
    private var position = 0
    /// When deferring bodies: the frame `buffer` came from, and its events read whole once a
    /// deferred body was asked for.
    private var frame: Frame?
    private var wholeFrame: [LedgerEvent]?

    /// - Parameters:
    ///   - from: the first seq to return.
    ///   - through: the last seq to return (default: everything whole on disk).
    ///   - decoders: threads that inflate frames ahead of the reader (order is kept); 0 decodes
    ///     inline on the caller's thread (cheaper for a few events).
    ///   - deferringBodies: with `decoders: 0`, inflate only what precedes the bodies that a
    ///     frame stores last — those summarized by their meta (webhook bodies; segment format 2):
    ///     such events come without their body (``LedgerEvent/isBodyDeferred``), and
    ///     ``body(of:)`` reads one when the summary is not enough. Checksums and the hash chain
    ///     are verified all the same (they cover the compressed bytes).
    /// - Throws: ``LedgerError`` for a missing or foreign ledger.
    public init(directory: LedgerDirectory, from: Seq = 1, through: Seq = .max, dictionaries: [CompressionDictionary] = CompressionDictionary.builtIn,
                decoders: Int = 2, deferringBodies: Bool = false) throws {
        let ledgerID = try directory.readManifest()
        let iterator = try FrameIterator(directory: directory, ledgerID: ledgerID, dictionaries: dictionaries, from: max(from, 1))
        if decoders > 0 {
            pipeline = try FramePipeline(iterator: iterator, decoders: decoders, window: 8)
            self.iterator = nil
            inflater = nil
        } else {
            pipeline = nil
            self.iterator = iterator
            inflater = try Inflater()
        }
        self.from = max(from, 1)
        self.through = through
        self.deferringBodies = deferringBodies && decoders == 0
    }

    deinit { pipeline?.stop() }

    /// The next event, or nil at the end.
    /// - Throws: ``LedgerError/Kind/corrupted`` with the location of damaged data.
    public func next() throws -> LedgerEvent? {
        while position == buffer.count {
            if let pipeline {
                guard let events = try pipeline.next() else { return nil }
                buffer = events
            } else if let iterator, let inflater {
                guard let next = try iterator.next() else { return nil }
                buffer = try next.events(using: inflater, deferringBodies: deferringBodies)
                frame = deferringBodies ? next : nil
                wholeFrame = nil
            }
            position = 0
            if let first = buffer.first, first.seq < from { position = Int(from - first.seq) }
        }
        let event = buffer[position]
        guard event.seq <= through else { return nil }
        position += 1
        return event
    }

    /// The body of `event`, which this cursor returned last or in the same frame as the last:
    /// `event.body`, or, for a deferred body, the frame inflated whole (once per frame).
    /// - Throws: ``LedgerError/Kind/invalidArgument`` when the cursor has moved past the event's
    ///   frame; ``LedgerError/Kind/corrupted`` when the frame's tail does not decode.
    public func body(of event: LedgerEvent) throws -> [UInt8] {
        try whole(event).body
    }

    /// `event` with its body: itself, or, for a deferred body, the event read whole (as ``body(of:)``).
    public func whole(_ event: LedgerEvent) throws -> LedgerEvent {
        guard event.isBodyDeferred else { return event }
        guard let frame, let inflater, frame.header.firstSeq <= event.seq, event.seq <= frame.header.lastSeq else {
            throw LedgerError(.invalidArgument, "the body of seq \(event.seq) is no longer at hand: ask for it before reading past its frame")
        }
        let events = try wholeFrame ?? frame.events(using: inflater)
        wholeFrame = events
        return events[Int(event.seq - frame.header.firstSeq)]
    }

    /// Set once the cursor reached incomplete bytes at the end of the last segment.
    public var tornTail: TornTail? { pipeline?.tornTail ?? iterator?.torn }
}

/// A frame boundary in the ledger files: where a later read can resume without rescanning.
public struct LedgerPosition: Sendable, Equatable {
    public var segment: String
    public var offset: Int64
    public var nextSeq: Seq
}

/// Follows a growing ledger: each ``read(through:)`` returns the events appended since the
/// previous one, resuming at the last frame boundary instead of rescanning the segment.
/// Frames are whole when returned (a frame still being written is left for the next read).
public final class LedgerTail {
    private let directory: LedgerDirectory
    private let ledgerID: [UInt8]
    private let dictionaries: [CompressionDictionary]
    private let inflater: Inflater
    private var position: LedgerPosition?
    /// The next seq this tail will return.
    public private(set) var nextSeq: Seq

    public init(directory: LedgerDirectory, from: Seq = 1, dictionaries: [CompressionDictionary] = CompressionDictionary.builtIn) throws {
        self.directory = directory
        ledgerID = try directory.readManifest()
        self.dictionaries = dictionaries
        inflater = try Inflater()
        nextSeq = max(from, 1)
    }

    /// Events from ``nextSeq`` through `through`, at most `limit` of them.
    public func read(through: Seq, limit: Int = 4096) throws -> [LedgerEvent] {
        guard nextSeq <= through else { return [] }
        let iterator = try FrameIterator(directory: directory, ledgerID: ledgerID, dictionaries: dictionaries, from: nextSeq, resume: position)
        var events: [LedgerEvent] = []
        while events.count < limit, let frame = try iterator.next() {
            var consumedWholeFrame = true
            for event in try frame.events(using: inflater) where event.seq >= nextSeq && event.seq <= through {
                guard events.count < limit else { consumedWholeFrame = false; break }
                events.append(event)
            }
            // Resume after this frame only when all of it was returned; otherwise the next read
            // starts at the frame again and skips what was already returned.
            if consumedWholeFrame && frame.header.lastSeq <= through {
                position = iterator.position
            }
            if !consumedWholeFrame || frame.header.lastSeq >= through { break }
        }
        if let last = events.last { nextSeq = last.seq + 1 }
        return events
    }
}
