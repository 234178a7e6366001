import ArgumentParser
import Demo
import Engine
import Ledger
import Foundation
import Logging

struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Watch Ledgerbot work: a simulated Chatwoot inbox, the four seed use cases, the ledger, replay.",
        discussion: """
            Starts, on loopback, the Chatwoot simulator (REST API and webhooks as Chatwoot sends them), \
            sample company systems (customers, orders, content, hotel bookings) and, for each scenario, \
            the real bot (the code `serve` runs) with the scenario's policy from examples/. Prints each \
            conversation as Chatwoot shows it, then replays every ledger to prove each decision \
            re-derives identically. Nothing to configure; nothing leaves the machine.

            Scenarios: \(Scenario.all.map(\.name).joined(separator: ", ")).
            """
    )

    @Option(help: ArgumentHelp("Where the ledgers go (default ./ledgerbot-demo; a new run-N inside it when it is not empty).", valueName: "DIR"))
    var data: String?
    @Option(help: ArgumentHelp("One scenario, or all.", valueName: "NAME|all")) var scenario = "all"
    @Option(help: ArgumentHelp("Where the example policies are (default: examples/ here or next to the binary's checkout).", valueName: "DIR"))
    var policies: String?
    @Flag(help: "Type the customer's messages yourself (in the scenario's bot).") var interactive = false
    @Flag(help: "Plain output even on a terminal.") var noColor = false

    func validate() throws {
        if scenario != "all", !Scenario.all.contains(where: { $0.name == scenario }) {
            throw ValidationError("--scenario must be all or one of: \(Scenario.all.map(\.name).joined(separator: ", "))")
        }
    }

    func run() async throws {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = .error
            return handler
        }
        let logger = Logger(label: "ledgerbot-demo")
        let color = !noColor && isatty(STDOUT_FILENO) == 1
        let printer = TranscriptPrinter(color: color) { FileHandleOutput.standardOutput.write($0) }
        try await reportingErrors {
            let policiesDirectory = try locatePolicies()
            let dataDirectory = try chooseDataDirectory()
            let runner = DemoRunner(dataDirectory: dataDirectory, policiesDirectory: policiesDirectory, printer: printer, logger: logger)
            let chosen = scenario == "all" ? Scenario.all : Scenario.all.filter { $0.name == scenario }
            if interactive {
                try await InteractiveDemo(runner: runner, scenario: chosen[0]).run()
                return
            }
            printer.heading("Ledgerbot demo — a Chatwoot inbox with a bot in front of humans, everything on loopback")
            let started = ContinuousClock.now
            let outcomes = try await runner.run(chosen)
            printer.heading("Summary")
            for outcome in outcomes {
                printer.line("  \(outcome.scenario.padding(toLength: 22, withPad: " ", startingAt: 0)) \(outcome.policy.padding(toLength: 26, withPad: " ", startingAt: 0)) \(String(outcome.events).leftPad(5)) events \(String(outcome.decisions).leftPad(4)) decisions  replay \(outcome.replayIdentical ? "identical" : "DIFFERS")"
                             + (outcome.scriptFailures.isEmpty ? "" : "  \(outcome.scriptFailures.count) SCRIPT STEP(S) FAILED")
                             + (outcome.decisions == 0 ? "  NO DECISION" : ""))
            }
            printer.line(String(format: "  %d scenario(s) in %.1f s. Ledgers in %@.", outcomes.count, (ContinuousClock.now - started).inSeconds, dataDirectory))
            printer.heading("The ledgers")
            for outcome in outcomes {
                let stats = try LedgerInspection.stats(directory: LedgerDirectory(dataPath: outcome.data))
                let head = stats.headHash.prefix(8).map { String(format: "%02x", $0) }.joined()
                printer.line("  " + outcome.scenario.padding(toLength: 22, withPad: " ", startingAt: 0) + String(stats.events).leftPad(4)
                             + " events, \(formatBytes(stats.bodyBytes)) of JSON in \(formatBytes(stats.storedBytes))"
                             + String(format: " (%.1f×)", stats.compressionRatio) + ", head seq \(stats.headSeq), head hash \(head)…")
            }
            if let triage = outcomes.first(where: { $0.scenario == "support-triage" }),
               FileManager.default.fileExists(atPath: policiesDirectory + "/support-triage-v2.yml") {
                let v2 = try runner.policy(named: "support-triage-v2.yml")
                let report = try await Replayer(directory: LedgerDirectory(dataPath: triage.data), options: .init(policy: v2)).run()
                printer.heading("What if \(v2.id) had answered? (replay of the support-triage ledger under examples/support-triage-v2.yml)")
                printer.dim("  Customer inputs are replayed as recorded: after the first divergence the customer might have answered differently.")
                let changes = report.behaviourChanges
                printer.line("  \(changes.count) of \(report.compared) decisions would change:")
                for change in changes.prefix(6) {
                    printer.line("    input seq \(change.inputSeq): " + ReplayView.describe(DecisionSummary(change.recorded), present: change.recorded != nil))
                    printer.line("        → " + ReplayView.describe(DecisionSummary(change.replayed), present: change.replayed != nil))
                }
            }
            if let first = outcomes.first {
                printer.heading("Try next")
                // The binary as it was started (tools/demo.sh runs it from .build), so the lines can be pasted.
                let bin = CommandLine.arguments[0]
                printer.line("  \(bin) replay --data \(first.data)                                   # every decision re-derived from the ledger")
                printer.line("  \(bin) serve --data DIR --policy \(policiesDirectory)/support-triage.yml --chatwoot-url https://chat.example.com   # your Chatwoot (README: Connect to your Chatwoot)")
                if let triage = outcomes.first(where: { $0.scenario == "support-triage" }) {
                    printer.line("  \(bin) replay --data \(triage.data) --policy \(policiesDirectory)/support-triage-v2.yml   # what would v2 have done?")
                    printer.line("  \(bin) audit --data \(triage.data) --conversation \(triage.conversation)   # why the bot did what it did")
                    printer.line("  \(bin) summary --data \(triage.data) --conversation \(triage.conversation) # what the agent saw at hand-off")
                }
                printer.line("  \(bin) ledger verify --data \(first.data)                            # the hash chain, frame by frame")
                printer.line("  \(bin) ledger export --data \(first.data) | head                     # the raw events as JSON Lines")
            }
            if outcomes.contains(where: { !$0.succeeded }) { throw ExitCode(1) }
        }
    }

    /// `examples/` in the working directory, else in the checkout the binary was built in.
    private func locatePolicies() throws -> String {
        if let policies { return policies }
        var candidates = [FileManager.default.currentDirectoryPath + "/examples"]
        var url = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<4 {
            url.deleteLastPathComponent()
            candidates.append(url.path + "/examples")
        }
        guard let found = candidates.first(where: { FileManager.default.fileExists(atPath: $0 + "/support-triage.yml") }) else {
            throw ValidationError("cannot find the example policies (examples/support-triage.yml); run from the repository or pass --policies DIR")
        }
        return found
    }

    /// A directory that holds no ledger yet: conversation ids restart with every simulator, so
    /// runs must not share a ledger.
    private func chooseDataDirectory() throws -> String {
        let base = data ?? FileManager.default.currentDirectoryPath + "/ledgerbot-demo"
        let manager = FileManager.default
        let isEmpty = (try? manager.contentsOfDirectory(atPath: base))?.isEmpty ?? true
        if isEmpty { return base }
        var n = 1
        while manager.fileExists(atPath: "\(base)/run-\(n)") { n += 1 }
        return "\(base)/run-\(n)"
    }
}

/// `ledgerbot demo --interactive`: the person at the keyboard is the customer (and the agent).
struct InteractiveDemo {
    let runner: DemoRunner
    let scenario: Scenario

    func run() async throws {
        runner.printer.heading("Ledgerbot demo (interactive) — bot: \(scenario.policy), customer: \(scenario.customer.name)")
        runner.printer.dim(Scenario.Step.interactiveHelp.split(separator: "\n").map { "  " + $0 }.joined(separator: "\n"))
        let (steps, continuation) = AsyncStream<Scenario.Step>.makeStream()
        // stdin is read on its own thread: a blocking read must not hold one of the few threads the bot runs on.
        let reader = Thread {
            while let line = readLine() {
                if line.trimmingCharacters(in: .whitespaces) == "/quit" { break }
                if let step = Scenario.Step.parse(line) { continuation.yield(step) } else if !line.isEmpty {
                    FileHandleOutput.standardError.write("  (not understood: \(line); type /quit to end)\n")
                }
            }
            continuation.finish()
        }
        reader.start()
        let outcome = try await runner.interactive(scenario, steps: steps)
        runner.printer.line("  ledger: \(outcome.data) — try: ledgerbot replay --data \(outcome.data)")
    }
}
