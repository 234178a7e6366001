import BotRuntime
import Chatwoot
import Engine
import Foundation
import Synchronization
import Ledger
import Logging
import Policy
import Simulator

/// Runs scenarios end to end: for each, the real bot (`BotRuntime`, the code `serve` runs) with
/// the scenario's policy and its own ledger, the Chatwoot simulator playing Chatwoot and people,
/// the sample backends playing the company's systems — all on loopback — then replays the ledger.
public struct DemoRunner: Sendable {
    public var dataDirectory: String
    public var policiesDirectory: String
    public var printer: TranscriptPrinter
    public var logger: Logger

    public init(dataDirectory: String, policiesDirectory: String, printer: TranscriptPrinter, logger: Logger) {
        self.dataDirectory = dataDirectory
        self.policiesDirectory = policiesDirectory
        self.printer = printer
        self.logger = logger
    }

    /// What one scenario left behind.
    public struct Outcome: Sendable {
        public var scenario: String
        public var policy: String
        public var data: String
        /// The conversation id in Chatwoot (for `audit` and `summary`).
        public var conversation: Int
        public var events: Int
        public var decisions: Int
        public var replayIdentical: Bool
        /// Script steps that could not be played (the bot had not sent what the step answers).
        public var scriptFailures: [String]
        public var seconds: Double

        /// The script played through, the bot decided something, and every decision replayed identically.
        public var succeeded: Bool { replayIdentical && scriptFailures.isEmpty && decisions > 0 }
    }

    /// Plays `scenario` with steps typed by a person (see ``Scenario/Step/parse(_:)``).
    public func interactive(_ scenario: Scenario, steps: AsyncStream<Scenario.Step>) async throws -> Outcome {
        try await ChatwootSimulator.withRunning(logger: quiet) { chatwoot in
            try await SampleBackends.withRunning(logger: quiet) { backends in
                try await run(scenario, steps: steps, chatwoot: chatwoot, backends: backends)
            }
        }
    }

    public func run(_ scenarios: [Scenario]) async throws -> [Outcome] {
        try await ChatwootSimulator.withRunning(logger: quiet) { chatwoot in
            try await SampleBackends.withRunning(logger: quiet) { backends in
                printer.dim("  Chatwoot simulator at \(chatwoot.baseURL.absoluteString), sample backends at \(backends.baseURL)")
                printer.dim("  ledgers in \(dataDirectory) (a fresh directory; earlier runs are never touched)")
                var outcomes: [Outcome] = []
                for (index, scenario) in scenarios.enumerated() {
                    printer.heading("▶ \(index + 1)/\(scenarios.count) \(scenario.name) — \(scenario.title)")
                    let (steps, continuation) = AsyncStream<Scenario.Step>.makeStream()
                    for step in scenario.steps { continuation.yield(step) }
                    continuation.finish()
                    outcomes.append(try await run(scenario, steps: steps, chatwoot: chatwoot, backends: backends))
                }
                return outcomes
            }
        }
    }

    /// The simulated systems report their own shutdown as errors; the demo is not about them.
    private var quiet: Logger { Logger(label: "demo-simulators", factory: { _ in SwiftLogNoOpLogHandler() }) }

    /// Loads `examples/NAME` (every problem reported with its line).
    public func policy(named file: String) throws -> Policy {
        try PolicyLoader.load(path: policiesDirectory + "/" + file)
    }

    private func run(_ scenario: Scenario, steps: AsyncStream<Scenario.Step>, chatwoot: ChatwootSimulator, backends: SampleBackends) async throws -> Outcome {
        let started = ContinuousClock.now
        let policy = try self.policy(named: scenario.policy)
        let directory = LedgerDirectory(dataPath: dataDirectory + "/" + scenario.name)
        printer.dim("  bot: \(policy.id) (\(policiesDirectory)/\(scenario.policy)), ledger: \(directory.dataPath)")
        var configuration = BotConfiguration(directory: directory, policy: policy)
        configuration.chatwoot = .init(baseURL: chatwoot.baseURL, accessToken: chatwoot.accessToken, requestTimeout: .seconds(5))
        configuration.lookupVariables = Dictionary(uniqueKeysWithValues: DemoRunner.backendVariables.map { ($0, backends.baseURL) })
        configuration.outbox.retry.baseDelay = .milliseconds(50)
        configuration.outbox.retry.maximumAttempts = 4
        let failures = Mutex<[String]>([])
        let conversation = try await Bot.withRunning(configuration, logger: logger) { bot in
            await chatwoot.connectBot(url: bot.webhookURL)
            let conversation = try await chatwoot.startConversation(scenario.customer)
            var shown = Set<Int>()
            var status = try await chatwoot.conversation(conversation).status
            for await step in steps {
                do {
                    try await perform(step, in: conversation, chatwoot: chatwoot)
                } catch {
                    // A step the bot gave no occasion for, or a widget answer the widget could not
                    // send (a typo in the interactive demo): said, counted, and the demo goes on.
                    guard error is DemoError || (error as? SimulatorError).map({ [.invalidSubmission, .unknownMessage].contains($0.code) }) == true else { throw error }
                    printer.failure("  ✗ " + String(describing: error))
                    failures.withLock { $0.append(String(describing: error)) }
                    continue
                }
                try await bot.settle { await chatwoot.waitForDeliveries() }
                for message in try await chatwoot.transcript(of: conversation) where shown.insert(message.id).inserted {
                    if message.messageType == .activity || message.messageType == .template && message.senderKind == nil && (message.content ?? "").isEmpty { continue }
                    printer.message(message)
                }
                let now = try await chatwoot.conversation(conversation).status
                if now != status {
                    printer.status(from: status, to: now)
                    status = now
                }
            }
            await chatwoot.connectBot(url: nil)
            return conversation
        }
        let report = try await Replayer(directory: directory).run()
        let events = report.events
        let identical = report.changes.isEmpty && report.compared == report.identical
        let outcome = Outcome(scenario: scenario.name, policy: policy.id, data: directory.dataPath, conversation: conversation.conversationId, events: events,
                              decisions: report.compared, replayIdentical: identical, scriptFailures: failures.withLock { $0 },
                              seconds: (ContinuousClock.now - started).inSeconds)
        let line = "\(events) ledger events, \(report.compared) decisions; replay: \(report.identical)/\(report.compared) re-derived identically"
        if outcome.succeeded {
            printer.success("  ✓ " + line)
        } else {
            let problems = (identical ? [] : ["\(report.changes.count) differ"]) + (report.compared == 0 ? ["the bot decided nothing"] : [])
                + (outcome.scriptFailures.isEmpty ? [] : ["\(outcome.scriptFailures.count) script step(s) could not be played"])
            printer.failure("  ✗ " + line + " — " + problems.joined(separator: "; "))
        }
        return outcome
    }

    private func perform(_ step: Scenario.Step, in conversation: ConversationAddress, chatwoot: ChatwootSimulator) async throws {
        func last(_ type: ContentType) async throws -> SimulatedMessage {
            guard let message = try await chatwoot.transcript(of: conversation).last(where: { $0.senderKind == .agentBot && $0.contentType == type }) else {
                throw DemoError("the script expected the bot to have sent a \(type.rawValue) message, and it had not")
            }
            return message
        }
        switch step {
        case .says(let text): try await chatwoot.customerSays(text, in: conversation)
        case .selects(let option):
            try await chatwoot.customerSelects(option, of: try await last(.inputSelect).id)
            printer.customerAction("clicks [\(option)]")
        case .submitsForm(let values):
            try await chatwoot.customerSubmitsForm(values, of: try await last(.form).id)
            printer.customerAction("submits the form: " + values.keys.sorted().map { "\($0)=\(values[$0]!)" }.joined(separator: ", "))
        case .submitsEmail(let email):
            try await chatwoot.customerSubmitsEmail(email, of: try await last(.inputEmail).id)
            printer.customerAction("enters \(email) in the email box")
        case .rates(let rating):
            try await chatwoot.customerRatesCSAT(rating, of: try await last(.inputCSAT).id)
            printer.customerAction("rates \(rating)/5")
        case .agentSays(let text): try await chatwoot.agentReplies(text, in: conversation)
        case .agentSets(let change): try await chatwoot.agentSetsStatus(change, in: conversation)
        case .narrate(let text): printer.narrate(text)
        }
    }

    /// The environment variables the example policies use for their systems.
    public static let backendVariables = ["CUSTOMERS_API", "ORDERS_API", "CONTENT_API", "BOOKING_API", "SHOP_API"]
}

public struct DemoError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
