#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CZlib
import Foundation
import Ledger
import SQLite

// MARK: zlib

/// A heap-allocated deflate stream (zlib keeps a pointer back to it, so it must not move).
final class DeflateStream {
    private let stream: UnsafeMutablePointer<z_stream>
    private var output: [UInt8]

    /// - Parameter windowBits: 15 zlib wrapper, 31 gzip wrapper, -15 raw deflate.
    init(level: Int32, windowBits: Int32) throws {
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        output = [UInt8](repeating: 0, count: 1 << 16)
        let rc = deflateInit2_(stream, level, Z_DEFLATED, windowBits, 8, Z_DEFAULT_STRATEGY, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        guard rc == Z_OK else {
            stream.deallocate()
            throw BenchError("deflateInit2 failed (\(rc))")
        }
    }

    deinit {
        deflateEnd(stream)
        stream.deinitialize(count: 1)
        stream.deallocate()
    }

    /// Compresses `input` as one complete stream (optionally with a preset dictionary); returns its size.
    func compressedSize(_ input: UnsafeRawBufferPointer, dictionary: [UInt8] = []) -> Int {
        deflateReset(stream)
        if !dictionary.isEmpty {
            _ = dictionary.withUnsafeBufferPointer { deflateSetDictionary(stream, $0.baseAddress, uInt($0.count)) }
        }
        let bound = Int(deflateBound(stream, uLong(input.count)))
        if output.count < bound { output = [UInt8](repeating: 0, count: bound) }
        return output.withUnsafeMutableBufferPointer { out in
            stream.pointee.next_in = UnsafeMutablePointer(mutating: input.baseAddress?.assumingMemoryBound(to: UInt8.self))
            stream.pointee.avail_in = uInt(input.count)
            stream.pointee.next_out = out.baseAddress
            stream.pointee.avail_out = uInt(out.count)
            let rc = deflate(stream, Z_FINISH)
            precondition(rc == Z_STREAM_END, "deflate failed (\(rc))")
            return out.count - Int(stream.pointee.avail_out)
        }
    }

    /// The first `count` bytes of the last `compressedSize` output.
    func lastOutput(_ count: Int) -> [UInt8] { Array(output[0..<count]) }

    /// Feeds `input` into one long stream; returns the bytes produced by this call.
    func stream(_ input: UnsafeRawBufferPointer, finish: Bool) -> Int {
        var produced = 0
        output.withUnsafeMutableBufferPointer { out in
            stream.pointee.next_in = UnsafeMutablePointer(mutating: input.baseAddress?.assumingMemoryBound(to: UInt8.self))
            stream.pointee.avail_in = uInt(input.count)
            while true {
                stream.pointee.next_out = out.baseAddress
                stream.pointee.avail_out = uInt(out.count)
                let rc = deflate(stream, finish ? Z_FINISH : Z_NO_FLUSH)
                precondition(rc == Z_OK || rc == Z_STREAM_END || rc == Z_BUF_ERROR, "deflate failed (\(rc))")
                produced += out.count - Int(stream.pointee.avail_out)
                if finish ? rc == Z_STREAM_END : (stream.pointee.avail_in == 0 && stream.pointee.avail_out != 0) { break }
            }
        }
        return produced
    }
}

/// A heap-allocated inflate stream for zlib-wrapped data with an optional preset dictionary.
final class InflateStream {
    private let stream: UnsafeMutablePointer<z_stream>

    init() throws {
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        let rc = inflateInit2_(stream, 15, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        guard rc == Z_OK else {
            stream.deallocate()
            throw BenchError("inflateInit2 failed (\(rc))")
        }
    }

    deinit {
        inflateEnd(stream)
        stream.deinitialize(count: 1)
        stream.deallocate()
    }

    /// Decompresses one complete stream into `output` (sized to the exact raw length).
    func decompress(_ input: [UInt8], into output: inout [UInt8], dictionary: [UInt8]) {
        inflateReset(stream)
        input.withUnsafeBufferPointer { inBuf in
            output.withUnsafeMutableBufferPointer { outBuf in
                stream.pointee.next_in = UnsafeMutablePointer(mutating: inBuf.baseAddress)
                stream.pointee.avail_in = uInt(inBuf.count)
                stream.pointee.next_out = outBuf.baseAddress
                stream.pointee.avail_out = uInt(outBuf.count)
                while true {
                    let rc = inflate(stream, Z_FINISH)
                    if rc == Z_NEED_DICT {
                        _ = dictionary.withUnsafeBufferPointer { inflateSetDictionary(stream, $0.baseAddress, uInt($0.count)) }
                        continue
                    }
                    precondition(rc == Z_STREAM_END, "inflate failed (\(rc))")
                    return
                }
            }
        }
    }
}

struct GzipResult: Codable {
    var events = 0
    var bodyBytes: Int64 = 0
    /// JSON Lines, each line gzip-compressed on its own (level 6): what a row store that gzips each event gets.
    var perEventBytes: Int64 = 0
    var perEventRatio = 0.0
    var perEventSeconds = 0.0
    var perEventEventsPerSecond = 0.0
    /// The whole JSON Lines file as one gzip stream (level 6): no random access, no durability per event.
    var wholeStreamBytes: Int64 = 0
    var wholeStreamRatio = 0.0
    var wholeStreamMBPerSecond = 0.0
}

func gzipBaseline(_ corpus: Corpus) throws -> GzipResult {
    var result = GzipResult()
    result.events = corpus.count
    let perEvent = try DeflateStream(level: 6, windowBits: 31)
    var start = monotonicNanos()
    corpus.bytes.withUnsafeBytes { all in
        for i in 0..<corpus.count {
            // The line includes its newline, as a .jsonl line would.
            let line = UnsafeRawBufferPointer(rebasing: all[corpus.offsets[i]..<corpus.offsets[i + 1]])
            var withNewline = [UInt8](line)
            withNewline.append(0x0A)
            result.perEventBytes += Int64(withNewline.withUnsafeBytes { perEvent.compressedSize($0) })
        }
    }
    result.perEventSeconds = seconds(since: start)
    result.bodyBytes = corpus.totalBytes
    result.perEventRatio = Double(result.bodyBytes) / Double(result.perEventBytes)
    result.perEventEventsPerSecond = Double(corpus.count) / result.perEventSeconds

    let whole = try DeflateStream(level: 6, windowBits: 31)
    start = monotonicNanos()
    let newline: [UInt8] = [0x0A]
    corpus.bytes.withUnsafeBytes { all in
        for i in 0..<corpus.count {
            result.wholeStreamBytes += Int64(whole.stream(UnsafeRawBufferPointer(rebasing: all[corpus.offsets[i]..<corpus.offsets[i + 1]]), finish: false))
            result.wholeStreamBytes += Int64(newline.withUnsafeBytes { whole.stream($0, finish: false) })
        }
        result.wholeStreamBytes += Int64(whole.stream(UnsafeRawBufferPointer(start: nil, count: 0), finish: true))
    }
    result.wholeStreamMBPerSecond = Double(result.bodyBytes) / 1e6 / seconds(since: start)
    result.wholeStreamRatio = Double(result.bodyBytes) / Double(result.wholeStreamBytes)
    return result
}

/// Frame compression offline: `batch` consecutive bodies deflated together with the ledger's
/// preset dictionary, one thread. Shows what group-commit batch size and level buy.
struct FrameSimulation: Codable {
    var level: Int
    var batch: Int
    var events: Int
    var ratio: Double
    var eventsPerSecond: Double
    var mbPerSecond: Double
    /// Inflating the same frames (plain zlib: the ceiling for a sequential reader).
    var inflateEventsPerSecond: Double
    var inflateMBPerSecond: Double
}

func simulateFrames(_ corpus: Corpus, events: Int, levels: [Int32], batches: [Int]) throws -> [FrameSimulation] {
    let dictionary = CompressionDictionary.current.bytes
    var results: [FrameSimulation] = []
    let n = min(events, corpus.count)
    let raw = Double(corpus.offsets[n] - corpus.offsets[0])
    let inflater = try InflateStream()
    for level in levels {
        let deflater = try DeflateStream(level: level, windowBits: 15)
        for batch in batches {
            var stored = 0
            var frames: [([UInt8], Int)] = []   // compressed, raw length
            let start = monotonicNanos()
            corpus.bytes.withUnsafeBytes { all in
                var i = 0
                while i < n {
                    let end = min(n, i + batch)
                    let input = UnsafeRawBufferPointer(rebasing: all[corpus.offsets[i]..<corpus.offsets[end]])
                    let size = deflater.compressedSize(input, dictionary: dictionary)
                    stored += size
                    frames.append((deflater.lastOutput(size), input.count))
                    i = end
                }
            }
            let elapsed = seconds(since: start)
            var output: [UInt8] = []
            let inflateStart = monotonicNanos()
            for (compressed, rawLength) in frames {
                if output.count != rawLength { output = [UInt8](repeating: 0, count: rawLength) }
                inflater.decompress(compressed, into: &output, dictionary: dictionary)
            }
            let inflateElapsed = seconds(since: inflateStart)
            results.append(FrameSimulation(level: Int(level), batch: batch, events: n, ratio: raw / Double(stored),
                                           eventsPerSecond: Double(n) / elapsed, mbPerSecond: raw / 1e6 / elapsed,
                                           inflateEventsPerSecond: Double(n) / inflateElapsed, inflateMBPerSecond: raw / 1e6 / inflateElapsed))
        }
    }
    return results
}

// MARK: SQLite (Rasa SQLTrackerStore style)

struct SQLiteResult: Codable {
    var perEventEvents = 0
    var perEventSeconds = 0.0
    var perEventEventsPerSecond = 0.0
    var batchedEvents = 0
    var batchSize = 1000
    var batchedSeconds = 0.0
    var batchedEventsPerSecond = 0.0
    var batchedDatabaseBytes: Int64 = 0
    var batchedBodyBytes: Int64 = 0
    var synchronous = ""
    var journalMode = ""
}

private let rasaSchema = """
    CREATE TABLE events(id INTEGER PRIMARY KEY, sender_id TEXT NOT NULL, type_name TEXT NOT NULL, timestamp REAL,
                        intent_name TEXT, action_name TEXT, data TEXT);
    CREATE INDEX ix_events_sender_id ON events(sender_id);
    """
private let rasaInsert = "INSERT INTO events(sender_id, type_name, timestamp, intent_name, action_name, data) VALUES (?, ?, ?, ?, ?, ?)"

private func openRasa(_ path: String) throws -> Connection {
    let connection = try Connection(path: path)     // WAL mode
    try connection.execute("PRAGMA synchronous = FULL")
    try connection.execute(rasaSchema)
    return connection
}

private func rasaRow(_ corpus: Corpus, _ i: Int) -> [SQLiteValue] {
    [.text(corpus.streams[i]), .text(Corpus.eventNames[Int(corpus.kinds[i])]), .double(Double(corpus.times[i]) / 1e6),
     .null, .null, .text(String(decoding: corpus.body(i), as: UTF8.self))]
}

func sqliteBaseline(_ corpus: Corpus, directory: String, perEventCount: Int, batchedCount: Int) throws -> SQLiteResult {
    var result = SQLiteResult()
    do {
        let path = directory + "/rasa-per-event.db"
        defer { for suffix in ["", "-wal", "-shm"] { Scratch.remove(path + suffix) } }
        let connection = try openRasa(path)
        result.synchronous = try connection.scalarText("PRAGMA synchronous") ?? "?"
        result.journalMode = try connection.scalarText("PRAGMA journal_mode") ?? "?"
        result.perEventEvents = min(perEventCount, corpus.count)
        let start = monotonicNanos()
        for i in 0..<result.perEventEvents {
            try connection.transaction { try connection.run(rasaInsert, rasaRow(corpus, i)) }
        }
        result.perEventSeconds = seconds(since: start)
        result.perEventEventsPerSecond = Double(result.perEventEvents) / result.perEventSeconds
    }
    do {
        let path = directory + "/rasa-batched.db"
        defer { for suffix in ["", "-wal", "-shm"] { Scratch.remove(path + suffix) } }
        let connection = try openRasa(path)
        result.batchedEvents = min(batchedCount, corpus.count)
        let start = monotonicNanos()
        var i = 0
        while i < result.batchedEvents {
            let end = min(result.batchedEvents, i + result.batchSize)
            try connection.transaction {
                for j in i..<end { try connection.run(rasaInsert, rasaRow(corpus, j)) }
            }
            i = end
        }
        result.batchedSeconds = seconds(since: start)
        result.batchedEventsPerSecond = Double(result.batchedEvents) / result.batchedSeconds
        try connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        result.batchedDatabaseBytes = ["", "-wal"].reduce(0) { total, suffix in
            var info = stat()
            return total + (stat(path + suffix, &info) == 0 ? Int64(info.st_size) : 0)
        }
        result.batchedBodyBytes = Int64(corpus.offsets[result.batchedEvents] - corpus.offsets[0])
    }
    return result
}
