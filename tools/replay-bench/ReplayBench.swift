// Replay throughput next to raw ledger reading, in the same run.
//
//   swift run -c release replay-bench [--rounds N]             the golden ledgers of snapshots/, N rounds
//   replay-bench --generate N --out DIR [--workers W]           record a ledger of ≥ N events (the real bot
//                                                               against the simulator; see Generate.swift)
//   replay-bench --ledger DIR                                   raw read and replay of one (large) ledger,
//                                                               peak resident memory of each stage
//   replay-bench --ledger DIR --threads 2                       raw read, then replay reading ahead on a
//                                                               second thread (`replay --threads 2`)
//   … --replay-only                                             the replay alone (no raw read, no --from-raw run):
//                                                               for a profiler
//   … --resident N                                              at most about N conversation states in memory
//                                                               (default: the replay's; 0: all of them)
//
// tools/bench-replay.sh runs the last two (generating once, then reusing the ledger).
// Each stage runs on one core: the reader decodes on the calling thread. With --threads 2, the
// replay reads ahead on a second thread (`replay --threads 2`, the default on two cores).
import Engine
import Foundation
import Ledger
import Projections

func peakResidentKB() -> Int {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
          let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM") }) else { return 0 }
    return Int(line.dropFirst(6).trimmingCharacters(in: .whitespaces).split(separator: " ").first ?? "") ?? 0
}

/// One (large) ledger: raw read, then replay, each timed, with the memory high-water mark.
func measureLedger(_ directory: LedgerDirectory, threads: Int, resident: Int?, replayOnly: Bool) async throws {
    let before = peakResidentKB()
    if replayOnly {
        // One replay and nothing else: what a profiler (`perf record`) should see.
        var options = Replayer.Options()
        options.timing = true
        options.threads = threads
        options.residentConversations = resident
        let start = ContinuousClock.now
        let report = try await Replayer(directory: directory, options: options).run()
        let seconds = (ContinuousClock.now - start).inSeconds
        let phases = report.timing.map { t in [("read", t.read), ("fold", t.fold), ("decide", t.decide), ("compare", t.compare)]
            .map { String(format: "%@ %.2f s", $0.0, $0.1.inSeconds) }.joined(separator: ", ") } ?? ""
        print(String(format: "replay %10.0f events/s (%d events, %.2f s; %@), every decision identical: %@", Double(report.events) / seconds,
                     report.events, seconds, phases, report.changes.isEmpty && report.identical == report.compared ? "yes" : "NO"))
        return
    }
    let start = ContinuousClock.now
    let cursor = try LedgerCursor(directory: directory, decoders: 0)
    var events = 0
    var bytes = 0
    while let event = try cursor.next() { events += 1; bytes += event.body.count }
    let rawSeconds = (ContinuousClock.now - start).inSeconds
    let raw = Double(events) / rawSeconds
    let afterRaw = peakResidentKB()
    print(String(format: "raw read (CRC, inflate, decode)        %10.0f events/s  (%d events, %.1f MB of bodies, %.1f s), peak RSS %d MB",
                 raw, events, Double(bytes) / 1e6, rawSeconds, afterRaw / 1024))
    if threads == 1 {
        // What replay reads: each frame's head, webhook bodies left compressed (segment format 2).
        let start = ContinuousClock.now
        let cursor = try LedgerCursor(directory: directory, decoders: 0, deferringBodies: true)
        var summaries = 0, deferred = 0
        while let event = try cursor.next() { summaries += 1; deferred += event.isBodyDeferred ? 1 : 0 }
        let seconds = (ContinuousClock.now - start).inSeconds
        print(String(format: "summary read (CRC, inflate heads only)  %10.0f events/s  (%d events, %d bodies left compressed, %.1f s)",
                     Double(summaries) / seconds, summaries, deferred, seconds))
    }
    /// One replay, timed by phase; `fromRawBody` reads every webhook's raw body instead of the
    /// compact form ingest recorded beside it; `threads: 2` reads ahead on a second thread.
    func replay(fromRawBody: Bool, threads: Int = 1) async throws -> (ReplayReport, Double) {
        let start = ContinuousClock.now
        var lastReport = ContinuousClock.now
        var options = Replayer.Options()
        options.timing = true
        options.fromRawBody = fromRawBody
        options.threads = threads
        options.residentConversations = resident
        let report = try await Replayer(directory: directory, options: options).run { done, _ in
            if ContinuousClock.now - lastReport > .seconds(10) {
                lastReport = ContinuousClock.now
                FileHandle.standardError.write(Data("replay: \(done) events\n".utf8))
            }
        }
        return (report, (ContinuousClock.now - start).inSeconds)
    }
    func describe(_ name: String, _ report: ReplayReport, _ seconds: Double) {
        print(String(format: "%@ %10.0f events/s  (%d events, %d decisions compared, %.1f s), peak RSS %d MB",
                     name.padding(toLength: 38, withPad: " ", startingAt: 0), Double(report.events) / seconds, report.events, report.compared, seconds, peakResidentKB() / 1024))
        if let spilled = report.spilledStates {
            print("  conversation states spilled to disk: \(spilled.written) written, \(spilled.readBack) read back (at most \(resident ?? 0) in memory)")
        } else {
            print("  every conversation state in memory")
        }
        guard let timing = report.timing else { return }
        // The reactor's share bounds replay however fast the rest gets: the ceiling below is the
        // rate if reading, folding and comparing cost nothing.
        let phases = [("read", timing.read), ("fold", timing.fold), ("decide (reactor)", timing.decide), ("compare", timing.compare)]
        print("  by phase: " + phases.map { String(format: "%@ %.1f s (%.0f%%)", $0.0, $0.1.inSeconds, $0.1.inSeconds / seconds * 100) }.joined(separator: ", "))
        print(String(format: "  reactor: %.1f µs per input decided (%d); ceiling with everything but the reactor free: %.0f events/s",
                     timing.decide.inSeconds / Double(max(report.inputsDecided, 1)) * 1e6, report.inputsDecided, Double(report.events) / timing.decide.inSeconds))
    }
    if threads > 1 {
        // Its own process (tools/bench-replay.sh runs it after the one-core stages), so the peak
        // memory is this replay's own.
        let (twoThreads, seconds) = try await replay(fromRawBody: false, threads: threads)
        let rate = Double(twoThreads.events) / seconds
        describe("replay --threads \(threads) (reading ahead)", twoThreads, seconds)
        print("every decision identical: \(twoThreads.changes.isEmpty && twoThreads.identical == twoThreads.compared ? "yes" : "NO (\(twoThreads.changes.count) differ)")")
        print(String(format: "replay with %d threads = %.1f%% of raw read on one core; memory < 200 MB — %@", threads, rate / raw * 100,
                     peakResidentKB() < 200 * 1024 ? "met" : "missed"))
        return
    }
    // The replay first, so its peak memory is its own; then the same from the raw bodies.
    let (report, replaySeconds) = try await replay(fromRawBody: false)
    let replayRate = Double(report.events) / replaySeconds
    let afterReplay = peakResidentKB()
    describe("replay (fold + reactor + compare)", report, replaySeconds)
    let (fromRaw, fromRawSeconds) = try await replay(fromRawBody: true)
    describe("replay --from-raw (raw webhook bodies)", fromRaw, fromRawSeconds)
    print("every decision identical: \(report.changes.isEmpty && report.identical == report.compared && fromRaw.changes.isEmpty && fromRaw.identical == report.identical ? "yes, both ways" : "NO (\(report.changes.count) and \(fromRaw.changes.count) differ)")")
    print(String(format: "replay = %.1f%% of raw read; target: replay ≥ 200,000 events/s and ≥ 50%% of raw read on one core — %@; memory < 200 MB — %@ (%d MB at start)",
                 replayRate / raw * 100, replayRate >= 200_000 && replayRate >= raw / 2 ? "met" : "missed", afterReplay < 200 * 1024 ? "met" : "missed", before / 1024))
}

@main
struct ReplayBench {
    static func main() async throws {
        var rounds = 200
        var generate: Int?
        var out: String?
        var ledger: String?
        var workers = 48
        var threads = 1
        var replayOnly = false
        var resident: Int? = Replayer.Options.defaultResidentConversations
        var arguments = CommandLine.arguments.dropFirst()
        while let argument = arguments.popFirst() {
            switch argument {
            case "--rounds": rounds = arguments.popFirst().flatMap(Int.init) ?? rounds
            case "--generate": generate = arguments.popFirst().flatMap { Int($0.replacingOccurrences(of: "_", with: "")) }
            case "--out": out = arguments.popFirst()
            case "--ledger": ledger = arguments.popFirst()
            case "--workers": workers = arguments.popFirst().flatMap(Int.init) ?? workers
            case "--threads": threads = arguments.popFirst().flatMap(Int.init) ?? threads
            case "--replay-only": replayOnly = true
            case "--resident": resident = arguments.popFirst().flatMap(Int.init) // 0: all in memory, as for the replay
            default:
                FileHandle.standardError.write(Data("usage: replay-bench [--rounds N] | --generate N --out DIR [--workers W] | --ledger DIR [--threads 2] [--resident N] [--replay-only]\n".utf8))
                exit(64)
            }
        }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        if let generate {
            guard let out else { FileHandle.standardError.write(Data("--generate needs --out DIR\n".utf8)); exit(64) }
            try await LedgerGenerator(target: generate, directory: LedgerDirectory(dataPath: out),
                                      policyPath: root.appendingPathComponent("examples/support-triage.yml").path, workers: workers).run()
            return
        }
        if let ledger {
            try await measureLedger(LedgerDirectory(dataPath: ledger), threads: threads, resident: resident, replayOnly: replayOnly)
            return
        }
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("replay-bench-\(ProcessInfo.processInfo.processIdentifier)")
        defer { try? FileManager.default.removeItem(at: work) }
        var directories: [LedgerDirectory] = []
        for scenario in ["support-triage", "ecommerce-orders", "news-recommendations", "booking"] {
            let directory = LedgerDirectory(dataPath: work.appendingPathComponent(scenario).path)
            let lines = try String(contentsOf: root.appendingPathComponent("snapshots/\(scenario)/ledger.jsonl"), encoding: .utf8)
            let (ledger, _) = try FileLedger.open(directory: directory)
            let events = try lines.split(separator: "\n").map { line in try Array(line.utf8).withUnsafeBytes { try JSONLines.decode($0) } }
            _ = try await ledger.append(events.map { EventDraft(stream: $0.stream, type: $0.type, time: $0.time, causation: $0.causation, body: $0.body, meta: $0.meta) })
            await ledger.close()
            directories.append(directory)
        }

        func measure(_ name: String, _ body: (LedgerDirectory) async throws -> Int) async rethrows -> Double {
            let start = ContinuousClock.now
            var events = 0
            for _ in 0..<rounds { for directory in directories { events += try await body(directory) } }
            let seconds = (ContinuousClock.now - start).inSeconds
            let rate = Double(events) / seconds
            print("\(name.padding(toLength: 44, withPad: " ", startingAt: 0)) \(String(format: "%10.0f", rate)) events/s  (\(events) events, \(String(format: "%.2f", seconds)) s)")
            return rate
        }
        print("replay-bench: \(rounds) rounds over the 4 golden ledgers of snapshots/ (\(ProcessInfo.processInfo.activeProcessorCount) cores)")
        let raw = try await measure("raw read (CRC, inflate, decode frames)") { directory in
            let cursor = try LedgerCursor(directory: directory, decoders: 0)
            var n = 0
            while try cursor.next() != nil { n += 1 }
            return n
        }
        let fold = try await measure("fold (projections, no reactor)") { directory in
            let cursor = try LedgerCursor(directory: directory, decoders: 0)
            var store = ConversationStore()
            var n = 0
            while let event = try cursor.next() { store.apply(event); n += 1 }
            return n
        }
        var identical = true
        // The recorded policies are loaded (and their NLU trained) once, as in one big ledger.
        let policies = PolicyCache()
        let replay = try await measure("replay (fold + reactor + compare)") { directory in
            var oneThread = Replayer.Options()
            oneThread.threads = 1
            let report = try await Replayer(directory: directory, options: oneThread, policies: policies).run()
            identical = identical && report.changes.isEmpty
            return report.events
        }
        print(String(format: "replay = %.1f%% of raw read; fold = %.1f%% of raw read; every decision identical: %@", replay / raw * 100, fold / raw * 100, identical ? "yes" : "NO"))
        print(String(format: "target: replay ≥ 200,000 events/s and ≥ 50%% of raw read — %@", replay >= 200_000 && replay >= raw / 2 ? "met" : "missed"))
        if let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
           let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM") }) {
            print("peak resident memory: " + line.dropFirst(6).trimmingCharacters(in: .whitespaces))
        }
    }
}
