import AsyncHTTPClient
import Chatwoot
import Domain
import Effects
import Engine
import Foundation
import Ledger
import LedgerbotTesting
import Logging
import Metrics
import Policy
import Server
import Simulator

/// The whole bot over real HTTP on loopback: the Chatwoot simulator, the sample backends, and the
/// `serve` stack (ingest → ledger → projections + reactor → outbox → Chatwoot API / lookups),
/// running a policy from `Tests/Fixtures/policies`.
struct BotStack: Sendable {
    let chatwoot: ChatwootSimulator
    let backends: SampleBackends
    let ledger: FileLedger
    let directory: LedgerDirectory
    let projections: ProjectionService
    let server: ServerHarness

    /// Starts everything, runs `body`, and stops. Pass `directory` to run twice over one ledger.
    static func run(policy name: String = "shop-bot.yml", yaml: String? = nil, directory: LedgerDirectory? = nil,
                    chatwoot existing: ChatwootSimulator? = nil, backends existingBackends: SampleBackends? = nil,
                    _ body: @Sendable (BotStack) async throws -> Void) async throws {
        let temp = TemporaryDirectory()
        let directory = directory ?? temp.ledgerDirectory
        let policy: Policy
        if let yaml {
            policy = try PolicyLoader.load(yaml: yaml, file: name)
        } else {
            policy = try PolicyLoader.load(path: fixturesDirectory().appendingPathComponent("policies/\(name)").path)
        }
        try await withSimulators(chatwoot: existing, backends: existingBackends) { chatwoot, backends in
            let client = HTTPClient(eventLoopGroupProvider: .singleton)
            var configuration = OutboxConfiguration()
            configuration.retry.baseDelay = .milliseconds(20)
            configuration.retry.maximumAttempts = 4
            configuration.echoGracePeriod = .seconds(2)
            let logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
            let projections = LockedBox<ProjectionService?>(nil)
            do {
                try await ServerHarness.with(directory: directory, extraServices: { ledger in
                    let service = try! ProjectionService(ledger: ledger, directory: directory, policy: policy, logger: logger)
                    projections.value = service
                    return [service,
                            Outbox(ledger: ledger, directory: directory,
                                   api: HTTPChatwootAPI(httpClient: client, baseURL: chatwoot.baseURL, accessToken: chatwoot.accessToken,
                                                        configuration: .init(requestTimeout: .seconds(2))),
                                   lookups: HTTPLookupPerformer(httpClient: client, variables: ["SHOP_API": backends.baseURL], logger: logger),
                                   configuration: configuration, metrics: OutboxMetrics(factory: NOOPMetricsHandler.instance), logger: logger)]
                }) { server in
                    await chatwoot.connectBot(url: URL(string: "http://127.0.0.1:\(server.port)/webhooks/chatwoot"))
                    try await body(BotStack(chatwoot: chatwoot, backends: backends, ledger: server.ledger, directory: directory,
                                            projections: projections.value!, server: server))
                }
            } catch {
                try? await client.shutdown()
                throw error
            }
            try await client.shutdown()
        }
        // Every run proves determinism: replaying its ledger re-derives every decision byte for byte.
        let replay = try Replayer(directory: directory).run()
        if !replay.changes.isEmpty || replay.compared != replay.identical {
            throw ReplayMismatch(report: replay)
        }
    }

    private static func withSimulators(chatwoot: ChatwootSimulator?, backends: SampleBackends?,
                                       _ body: @Sendable (ChatwootSimulator, SampleBackends) async throws -> Void) async throws {
        switch (chatwoot, backends) {
        case (let chatwoot?, let backends?):
            try await body(chatwoot, backends)
        default:
            try await ChatwootSimulator.withRunning { chatwoot in
                try await SampleBackends.withRunning { backends in try await body(chatwoot, backends) }
            }
        }
    }

    // MARK: - Waiting

    /// Returns once everything in flight is done: webhooks delivered, every event folded and
    /// decided, every decided command performed — and nothing new arrived meanwhile.
    func settle(timeout: Duration = .seconds(15)) async throws {
        let deadline = ContinuousClock.now + timeout
        var lastHead: Seq = .max
        while ContinuousClock.now < deadline {
            await chatwoot.waitForDeliveries()
            let head = await ledger.headSeq()
            await projections.waitUntilApplied(head)
            let pending = try pendingEffects()
            let now = await ledger.headSeq()
            if pending == 0 && head == lastHead && head == now { return }
            lastHead = pending == 0 ? head : .max
            try await Task.sleep(for: .milliseconds(30)) // polling the combined state of three servers
        }
        throw TimedOut(what: "the bot to settle")
    }

    /// Commands decided without a recorded result.
    func pendingEffects() throws -> Int {
        var open = Set<String>()
        for event in try events() {
            if event.type == EventType.decision, let decision = try? Decision.decode(event.body) {
                for index in decision.commands.indices { open.insert("\(event.seq):\(index)") }
            } else if event.type == EventType.effectResult, let result = try? EffectResult.decode(event.body) {
                open.remove("\(result.decision):\(result.command)")
            }
        }
        return open.count
    }

    /// The customer writes and the bot finishes whatever it does about it.
    @discardableResult
    func customer(_ text: String, in conversation: ConversationAddress) async throws -> SimulatedMessage {
        let message = try await chatwoot.customerSays(text, in: conversation)
        try await settle()
        return message
    }

    // MARK: - Reading

    func events() throws -> [LedgerEvent] { try readLedger(directory) }

    func decisions() throws -> [(seq: Seq, causation: Seq?, decision: Decision)] {
        try events().filter { $0.type == EventType.decision }.map { ($0.seq, $0.causation, try Decision.decode($0.body)) }
    }

    /// What the bot posted in the conversation (public and private), oldest first.
    func botMessages(in conversation: ConversationAddress) async throws -> [SimulatedMessage] {
        try await chatwoot.transcript(of: conversation).filter { $0.senderKind == .agentBot }
    }

    func publicBotTexts(in conversation: ConversationAddress) async throws -> [String] {
        try await botMessages(in: conversation).filter { !$0.isPrivate }.map { $0.content ?? "" }
    }

    func privateNotes(in conversation: ConversationAddress) async throws -> [String] {
        try await botMessages(in: conversation).filter(\.isPrivate).map { $0.content ?? "" }
    }

    /// The newest bot message of `type` (to answer its widget).
    func lastBotMessage(_ type: ContentType, in conversation: ConversationAddress) async throws -> SimulatedMessage? {
        try await botMessages(in: conversation).last { $0.contentType == type }
    }
}

struct ReplayMismatch: Error, CustomStringConvertible {
    var report: ReplayReport
    var description: String {
        "replay differs from the recorded decisions: \(report.changes.count) change(s) of \(report.compared): "
            + report.changes.prefix(3).map { "input \($0.inputSeq): recorded \(String(describing: $0.recorded)) replayed \(String(describing: $0.replayed))" }.joined(separator: "; ")
    }
}

struct TimedOut: Error, CustomStringConvertible {
    var what: String
    var description: String { "timed out waiting for \(what)" }
}
