// Replay throughput next to raw ledger reading, in the same run, on the golden ledgers of
// `snapshots/` (real conversations recorded by the demo: webhooks, decisions, effect results).
//
//   swift run -c release replay-bench [--rounds N]
//
// Each round imports nothing: the ledgers are imported once into a temporary directory, then
// read (raw), folded (projections only) and replayed (projections + reactor + byte comparison)
// N times each. Prints events/s per stage, replay as a share of raw reading, and peak RSS.
import Engine
import Foundation
import Ledger
import Projections

@main
struct ReplayBench {
    static func main() async throws {
        var rounds = 200
        var arguments = CommandLine.arguments.dropFirst()
        while let argument = arguments.popFirst() {
            if argument == "--rounds", let value = arguments.popFirst().flatMap(Int.init) { rounds = value }
        }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
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
            let report = try await Replayer(directory: directory, policies: policies).run()
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
