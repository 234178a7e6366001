// ledger-bench: measures the FileLedger (group-commit append, sequential read, compression)
// against the disk's fdatasync latency and against SQLite / gzip-per-event baselines.
//
//   swift build -c release --scratch-path .build-bench --product ledger-bench
//   .build-bench/release/ledger-bench [--events N | --quick] [--dir DIR] [--json FILE] [--sweep]
//
// Everything it writes goes to a fresh scratch directory that is deleted at the end.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Dispatch
import Foundation
import Ledger

// MARK: Options

struct Options {
    var events = 200_000
    var quick = false
    var parent = NSTemporaryDirectory().hasSuffix("/") && NSTemporaryDirectory().count > 1 ? String(NSTemporaryDirectory().dropLast()) : NSTemporaryDirectory()
    var json: String?
    var sweep = false
    var sqlitePerEvent = 5_000
    var seed: UInt64 = 0x1ED6_E7B0_7000_0001
    var dump: String?
}

let usage = """
    usage: ledger-bench [--events N] [--quick] [--dir DIR] [--json FILE] [--sweep] [--sqlite-events N] [--seed S]
      --events N         corpus size (default 200000)
      --quick            20000 events, for smoke runs
      --dir DIR          where to create the scratch directory (default: the temp dir); it is deleted at the end
      --json FILE        also write the results as JSON
      --sweep            also run 256 writers at compression levels 1 and 3, without the index, and an offline
                         frame-compression table (level × batch size)
      --sqlite-events N  events for the one-transaction-per-event SQLite baseline (default 5000)
      --seed S           corpus PRNG seed
      --dump FILE        write the generated corpus as JSON Lines to FILE and exit (to inspect it)
    """

func parseOptions() -> Options {
    var options = Options()
    var args = CommandLine.arguments.dropFirst()
    func value(_ flag: String) -> String {
        guard let v = args.popFirst() else { fail("\(flag) needs a value\n\(usage)") }
        return v
    }
    while let arg = args.popFirst() {
        switch arg {
        case "--events":
            guard let n = Int(value(arg).replacingOccurrences(of: "_", with: "")), n > 0 else { fail("--events needs a positive number") }
            options.events = n
        case "--quick": options.quick = true; options.events = 20_000
        case "--dir": options.parent = value(arg)
        case "--json": options.json = value(arg)
        case "--sweep": options.sweep = true
        case "--sqlite-events":
            guard let n = Int(value(arg)), n > 0 else { fail("--sqlite-events needs a positive number") }
            options.sqlitePerEvent = n
        case "--seed":
            guard let s = UInt64(value(arg)) else { fail("--seed needs an unsigned integer") }
            options.seed = s
        case "--dump": options.dump = value(arg)
        case "-h", "--help": print(usage); exit(0)
        default: fail("unknown argument \(arg)\n\(usage)")
        }
    }
    return options
}

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("ledger-bench: \(message)\n".utf8))
    exit(2)
}

// MARK: Results

struct CorpusResult: Codable {
    var events = 0
    var conversations = 0
    var contacts = 0
    var bodyBytes: Int64 = 0
    var averageBytes = 0.0
    var minBytes = 0
    var maxBytes = 0
    var p50Bytes = 0
    var byType: [String: Int] = [:]
    var incomingMessages = 0
    var outgoingMessages = 0
    var generationSeconds = 0.0
    var seed: UInt64 = 0
}

struct TargetResult: Codable {
    var id: Int
    var name: String
    var measured: Double
    var threshold: Double
    var unit: String
    var pass: Bool
    /// measured / threshold.
    var ratio: Double
}

struct BenchReport: Codable {
    var tool = "ledger-bench"
    var quick = false
    var scratchFileSystem = ""
    var cpus = 0
    var corpus = CorpusResult()
    var fsync = FsyncResult()
    var runs: [RunResult] = []
    var read = ReadResult()
    var gzip = GzipResult()
    var sqlite = SQLiteResult()
    var frameSimulation: [FrameSimulation] = []
    var peakRSSWholeRunBytes: Int64 = 0
    var loadAverageStart = ""
    var loadAverageEnd = ""
    var totalSeconds = 0.0
    var targets: [TargetResult] = []
    var targetsMet = 0
    var summary = ""
}

// MARK: Run

let options = parseOptions()
let benchStart = monotonicNanos()
let scratch: String
do {
    scratch = try Scratch.makeDirectory(in: options.parent)
} catch {
    fail("\(error)")
}

// Ctrl-C / SIGTERM still delete the scratch directory.
Cleanup.install(removing: scratch)

/// Corpus, disk probe, append runs and baselines. The corpus lives only inside this function,
/// so it is gone before the read phase measures its peak memory.
func runWritePhases(_ options: Options, scratch: String, report input: BenchReport) async throws -> (BenchReport, String) {
    var report = input
    // 1. Corpus
    progress("generating \(grouped(options.events)) webhook events (seed \(options.seed))")
    var generator = CorpusGenerator(seed: options.seed)
    let genStart = monotonicNanos()
    let c = generator.generate(count: options.events) { progress("  \(grouped($0)) events") }
    report.corpus.generationSeconds = seconds(since: genStart)
    if let dump = options.dump {
        var lines: [UInt8] = []
        lines.reserveCapacity(c.bytes.count + c.count)
        for i in 0..<c.count { lines += c.body(i); lines.append(0x0A) }
        try Data(lines).write(to: URL(fileURLWithPath: dump))
        progress("wrote \(grouped(c.count)) events to \(dump)")
        Scratch.remove(scratch)
        exit(0)
    }
    report.corpus.seed = options.seed
    report.corpus.events = c.count
    report.corpus.conversations = c.conversations
    report.corpus.contacts = c.contacts
    report.corpus.bodyBytes = c.totalBytes
    report.corpus.averageBytes = Double(c.totalBytes) / Double(c.count)
    let sizes = (0..<c.count).map { c.offsets[$0 + 1] - c.offsets[$0] }.sorted()
    report.corpus.minBytes = sizes.first ?? 0
    report.corpus.maxBytes = sizes.last ?? 0
    report.corpus.p50Bytes = sizes[sizes.count / 2]
    for i in 0..<c.count {
        report.corpus.byType[Corpus.eventNames[Int(c.kinds[i])], default: 0] += 1
        if c.kinds[i] == 0 {
            if c.outgoing[i] { report.corpus.outgoingMessages += 1 } else { report.corpus.incomingMessages += 1 }
        }
    }

    // 2. Disk
    progress("probing fdatasync latency in \(scratch)")
    report.fsync = try probeFsync(directory: scratch)

    // 3. Ledger appends
    var specs = [RunSpec(name: "fsync 64w", writers: 64, durability: .fsync),
                 RunSpec(name: "fsync 256w", writers: 256, durability: .fsync, keep: true),
                 RunSpec(name: "none 256w", writers: 256, durability: .none)]
    if options.sweep {
        specs += [RunSpec(name: "fsync 256w L1", writers: 256, durability: .fsync, level: 1),
                  RunSpec(name: "fsync 256w L3", writers: 256, durability: .fsync, level: 3),
                  RunSpec(name: "fsync 256w noidx", writers: 256, durability: .fsync, maintainIndex: false),
                  RunSpec(name: "none 256w L1", writers: 256, durability: .none, level: 1)]
    }
    var readPath = ""
    for spec in specs {
        progress("ledger append: \(spec.name) (level \(spec.level), index \(spec.maintainIndex ? "on" : "off"))")
        let (result, path) = try await runLedger(spec, corpus: c, root: scratch, fsync: report.fsync)
        report.runs.append(result)
        if spec.keep { readPath = path }
        progress("  \(grouped(result.eventsPerSecond)) ev/s, \(fixed(result.eventsPerFrame, 1)) ev/frame, \(fixed(result.compressionRatio, 1))x")
    }

    // 6. Baselines
    progress("gzip-per-event and whole-stream gzip baselines")
    report.gzip = try gzipBaseline(c)
    if options.sweep {
        progress("offline frame compression (level × batch)")
        report.frameSimulation = try simulateFrames(c, events: 40_000, levels: [1, 3, 6, 9], batches: [1, 16, 64, 256])
    }
    progress("SQLite baseline: \(grouped(min(options.sqlitePerEvent, c.count))) events one transaction each, then batched")
    report.sqlite = try sqliteBaseline(c, directory: scratch, perEventCount: options.sqlitePerEvent, batchedCount: c.count)
    progress("  \(grouped(report.sqlite.perEventEventsPerSecond)) ev/s per event, \(grouped(report.sqlite.batchedEventsPerSecond)) ev/s batched")
    return (report, readPath)
}

var report = BenchReport()
report.quick = options.quick
report.cpus = ProcessInfo.processInfo.activeProcessorCount
report.scratchFileSystem = ProcFS.fileSystemType(scratch)
report.loadAverageStart = ProcFS.loadAverage()
do {
    let (written, readPath) = try await runWritePhases(options, scratch: scratch, report: report)
    report = written
    // 4 + 7. Sequential read, after the corpus was released, so the peak RSS is the reader's.
    report.peakRSSWholeRunBytes = ProcFS.status("VmHWM") ?? 0
    progress("sequential read with LedgerCursor")
    report.read = try readLedger(path: readPath)
} catch {
    Scratch.remove(scratch)
    fail("\(error)")
}
Scratch.remove(scratch)
report.loadAverageEnd = ProcFS.loadAverage()
report.totalSeconds = seconds(since: benchStart)

// MARK: Targets

let durable64 = report.runs.first { $0.name == "fsync 64w" }!
let durable256 = report.runs.first { $0.name == "fsync 256w" }!
let none256 = report.runs.first { $0.name == "none 256w" }!
func target(_ id: Int, _ name: String, _ measured: Double, _ threshold: Double, _ unit: String) -> TargetResult {
    TargetResult(id: id, name: name, measured: measured, threshold: threshold, unit: unit, pass: measured >= threshold, ratio: measured / threshold)
}
let compressionVsGzip = durable256.compressionRatio / report.gzip.perEventRatio
let vsSQLite = durable256.eventsPerSecond / report.sqlite.perEventEventsPerSecond
report.targets = [
    target(1, "corpus ≥ 200,000 webhook events", Double(report.corpus.events), 200_000, "events"),
    target(2, "durable append, 64 writers ≥ 70% of bound", durable64.boundRatio ?? 0, 0.70, "of bound"),
    target(3, "durable append, 256 writers ≥ 70% of bound", durable256.boundRatio ?? 0, 0.70, "of bound"),
    target(4, "durable append, 256 writers ≥ 50,000 ev/s", durable256.eventsPerSecond, 50_000, "ev/s"),
    target(5, "sequential read ≥ 300,000 ev/s (warm page cache)", report.read.warmEventsPerSecond, 300_000, "ev/s"),
    target(6, "compression ≥ 10x (body bytes / segment bytes)", durable256.compressionRatio, 10, "x"),
    target(7, "compression ≥ 2x better than gzip per event", compressionVsGzip, 2, "x"),
    target(8, "durable 256w ≥ 10x SQLite one-txn-per-event", vsSQLite, 10, "x"),
]
report.targetsMet = report.targets.filter(\.pass).count
report.summary = "ledger-bench: durable 256w \(grouped(durable256.eventsPerSecond)) ev/s (\(percent(durable256.boundRatio ?? 0)) of bound \(grouped(durable256.bound ?? 0))), "
    + "64w \(grouped(durable64.eventsPerSecond)) ev/s (\(percent(durable64.boundRatio ?? 0)) of bound \(grouped(durable64.bound ?? 0))), "
    + "none 256w \(grouped(none256.eventsPerSecond)) ev/s, "
    + "read \(grouped(report.read.warmEventsPerSecond)) ev/s, "
    + "compression \(fixed(durable256.compressionRatio, 1))x (gzip/event \(fixed(report.gzip.perEventRatio, 1))x), "
    + "sqlite-per-event \(grouped(report.sqlite.perEventEventsPerSecond)) ev/s (\(fixed(vsSQLite, 1))x) — "
    + "\(report.targetsMet)/\(report.targets.count) targets met"

// MARK: Table

func render(_ report: BenchReport) -> String {
    var lines: [String] = []
    func line(_ s: String = "") { lines.append(s) }
    func row(_ label: String, _ value: String) { line("  " + pad(label, 34) + value) }

    line("ledger-bench — \(grouped(report.corpus.events)) events\(report.quick ? " (--quick)" : ""), release build, "
         + "\(report.cpus) CPUs, scratch on \(report.scratchFileSystem), \(fixed(report.totalSeconds, 0)) s total")
    line("load average at start \(report.loadAverageStart), at end \(report.loadAverageEnd) (the CPUs are shared with other work)")
    line()
    line("Corpus (Chatwoot webhooks, compact JSON, seed \(report.corpus.seed))")
    row("events", "\(grouped(report.corpus.events)) over \(grouped(report.corpus.conversations)) conversations, \(grouped(report.corpus.contacts)) contacts")
    row("body size", "avg \(grouped(report.corpus.averageBytes)) B, median \(grouped(report.corpus.p50Bytes)) B, min \(grouped(report.corpus.minBytes)) B, max \(grouped(report.corpus.maxBytes)) B, total \(megabytes(report.corpus.bodyBytes))")
    let mix = report.corpus.byType.sorted { $0.value > $1.value }.map { "\($0.key) \(fixed(Double($0.value) * 100 / Double(report.corpus.events), 1))%" }
    row("mix", mix.prefix(4).joined(separator: ", "))
    row("", mix.dropFirst(4).joined(separator: ", "))
    row("message_created in / out", "\(grouped(report.corpus.incomingMessages)) / \(grouped(report.corpus.outgoingMessages))")
    row("generation", "\(fixed(report.corpus.generationSeconds, 1)) s")
    line()
    line("Disk")
    row("fdatasync (4 KiB append) t_fsync", "median \(millis(report.fsync.medianSeconds)) (p10 \(millis(report.fsync.p10Seconds)), p90 \(millis(report.fsync.p90Seconds)), \(report.fsync.samples) samples)")
    row("bound W / t_fsync", "64w \(grouped(64 / report.fsync.medianSeconds)) ev/s, 256w \(grouped(256 / report.fsync.medianSeconds)) ev/s")
    line()
    line("Ledger append (each writer: append 1 event, await, repeat; default config unless noted)")
    let header = [pad("run", 18), pad("ev/s", 9, right: true), pad("bound", 9, right: true), pad("ratio", 6, right: true), pad("fsync", 6, right: true),
                  pad("ev/frame", 9, right: true), pad("compr", 7, right: true), pad("p50 ms", 7, right: true), pad("p99 ms", 7, right: true),
                  pad("cores", 6, right: true), pad("other", 6, right: true), pad("enc µs/ev", 10, right: true), "  ledger threads"]
    line("  " + header.joined(separator: " "))
    for r in report.runs {
        let cells = [pad(r.name, 18), pad(grouped(r.eventsPerSecond), 9, right: true),
                     pad(r.bound.map { grouped($0) } ?? "—", 9, right: true), pad(r.boundRatio.map { percent($0) } ?? "—", 6, right: true),
                     pad(fixed(r.fsyncBeforeSeconds * 1000, 2), 6, right: true),
                     pad(fixed(r.eventsPerFrame, 1), 9, right: true), pad(fixed(r.compressionRatio, 1) + "x", 7, right: true),
                     pad(fixed(r.latencyP50Ms, 2), 7, right: true), pad(fixed(r.latencyP99Ms, 2), 7, right: true),
                     pad(fixed(r.processCores, 2), 6, right: true), pad(fixed(r.otherCores, 2), 6, right: true),
                     pad(fixed(r.encoderMicrosPerEvent, 1), 10, right: true), "  " + r.ledgerThreadCores.map { fixed($0, 2) }.joined(separator: "/")]
        line("  " + cells.joined(separator: " "))
    }
    line("  (ratio = ev/s ÷ bound; fsync = t_fsync ms probed again just before the run (the bound uses the main probe);")
    line("   compr = body bytes ÷ segment bytes; p50/p99 = append latency; cores = this process's CPU s per")
    line("   wall s; other = cores used by other processes meanwhile; enc µs/ev = CPU of the busiest ledger thread (the encoder) per")
    line("   event; ledger threads = CPU s per wall s of the encoder/syncer/indexer threads, busiest first; L1/L3 = compressionLevel 1/3,")
    line("   else 6; noidx = maintainIndex off; every run appends the whole corpus into a fresh ledger)")
    if let ceiling = report.runs.first(where: { $0.name == "none 256w" }), ceiling.eventsPerSecond > 0 {
        let shares = report.runs.filter { $0.durability == "fsync" && $0.compressionLevel == 6 && $0.maintainIndex }
            .map { "\($0.writers)w \(percent($0.eventsPerSecond / ceiling.eventsPerSecond))" }
        row("durable vs CPU ceiling", "none 256w (no fdatasync) = \(grouped(ceiling.eventsPerSecond)) ev/s; fsync " + shares.joined(separator: ", ") + " of it")
    }
    if let r = report.runs.first(where: { $0.name == "fsync 256w" }) {
        row("fsync 256w ledger", "\(r.frames) frames, \(r.segments) segment(s), \(megabytes(r.storedBytes)) stored, index \(megabytes(r.indexBytes)), close \(millis(r.closeSeconds))")
    }
    line()
    line("Sequential read (LedgerCursor over the fsync 256w ledger: CRC + inflate + decode)")
    row("warm page cache", "\(grouped(report.read.warmEventsPerSecond)) ev/s, \(fixed(report.read.warmMBPerSecond, 0)) MB/s of JSON bodies (\(fixed(report.read.warmSeconds, 2)) s)")
    row("page cache evicted", "\(grouped(report.read.coldEventsPerSecond)) ev/s, \(fixed(report.read.coldMBPerSecond, 0)) MB/s of JSON bodies (\(fixed(report.read.coldSeconds, 2)) s)")
    row("peak RSS during read (VmHWM)", "\(megabytes(report.read.peakRSSBytes))\(report.read.peakRSSIsReadPhaseOnly ? " (reset before the read)" : " (whole process: clear_refs not writable)"); RSS before read \(megabytes(report.read.rssBeforeBytes)); whole run \(megabytes(report.peakRSSWholeRunBytes)) (corpus in memory)")
    line()
    line("Baselines")
    row("SQLite, 1 txn per event (durable)", "\(grouped(report.sqlite.perEventEventsPerSecond)) ev/s (subset of \(grouped(report.sqlite.perEventEvents)) events; WAL, synchronous=\(report.sqlite.synchronous == "2" ? "FULL" : report.sqlite.synchronous))")
    row("SQLite, \(report.sqlite.batchSize) per txn", "\(grouped(report.sqlite.batchedEventsPerSecond)) ev/s (\(grouped(report.sqlite.batchedEvents)) events; db \(megabytes(report.sqlite.batchedDatabaseBytes)), \(fixed(Double(report.sqlite.batchedBodyBytes) / Double(max(1, report.sqlite.batchedDatabaseBytes)), 2))x of the JSON)")
    row("JSONL, gzip -6 per event", "\(fixed(report.gzip.perEventRatio, 2))x (\(megabytes(report.gzip.perEventBytes)); \(grouped(report.gzip.perEventEventsPerSecond)) ev/s on one core)")
    row("JSONL, one gzip -6 stream (info)", "\(fixed(report.gzip.wholeStreamRatio, 1))x (\(megabytes(report.gzip.wholeStreamBytes)); \(fixed(report.gzip.wholeStreamMBPerSecond, 0)) MB/s; no random access)")
    if !report.frameSimulation.isEmpty {
        line()
        line("Frame compression offline (ledger dictionary, one core, first \(grouped(report.frameSimulation[0].events)) events): ratio / deflate ev/s / inflate ev/s")
        let batches = Array(Set(report.frameSimulation.map(\.batch))).sorted()
        line("  " + pad("level", 7) + batches.map { pad("batch \($0)", 30, right: true) }.joined())
        for level in Array(Set(report.frameSimulation.map(\.level))).sorted() {
            var cells = "  " + pad("\(level)", 7)
            for b in batches {
                if let s = report.frameSimulation.first(where: { $0.level == level && $0.batch == b }) {
                    cells += pad("\(fixed(s.ratio, 1))x / \(grouped(s.eventsPerSecond)) / \(grouped(s.inflateEventsPerSecond))", 30, right: true)
                }
            }
            line(cells)
        }
    }
    line()
    line("Targets")
    for t in report.targets {
        let shown: String
        switch t.unit {
        case "of bound": shown = "\(percent(t.measured)) (target \(percent(t.threshold)))"
        case "x": shown = "\(fixed(t.measured, 1))x (target \(fixed(t.threshold, 0))x)"
        default: shown = "\(grouped(t.measured)) \(t.unit) (target \(grouped(t.threshold)))"
        }
        line("  [\(t.pass ? "PASS" : "MISS")] \(t.id). " + pad(t.name, 54) + pad(shown, 32) + " measured/target \(fixed(t.ratio, 2))")
    }
    line()
    line(report.summary)
    return lines.joined(separator: "\n")

}

print(render(report))

if let path = options.json {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    do {
        try encoder.encode(report).write(to: URL(fileURLWithPath: path))
    } catch {
        fail("cannot write \(path): \(error)")
    }
}
exit(0)
