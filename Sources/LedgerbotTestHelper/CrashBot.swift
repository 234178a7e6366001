import AsyncHTTPClient
import Chatwoot
import Domain
import Effects
import Foundation
import JSONScan
import Ledger
import Logging
import Prometheus
import Server
import ServiceLifecycle

/// `bot DATA CHATWOOT_URL TOKEN [crash-after-decision|crash-after-echo]`: the real ingest server and
/// outbox, with a stand-in reactor (the policy reactor is issue #5) that answers every incoming
/// customer message in a pending conversation with `echo: <text>`. Prints `listening <port>`, then
/// `effect <outcome>` for every effect result in the ledger (old ones included).
///
/// Crash points (SIGKILL to itself, once per data directory, marked by a file):
/// - `crash-after-decision`: right after the first decision is durable, before it is performed;
/// - `crash-after-echo`: after the first message was created in Chatwoot and its echo is durable,
///   before the effect result is recorded.
enum CrashBot {
    static func run(_ arguments: [String]) async throws {
        let directory = LedgerDirectory(dataPath: arguments[0])
        let chatwoot = URL(string: arguments[1])!
        let token = arguments[2]
        let crash = arguments.count > 3 ? arguments[3] : "none"
        let marker = directory.dataPath + "/crashed-once"
        let armed = !FileManager.default.fileExists(atPath: marker)
        let die: @Sendable () -> Never = {
            FileManager.default.createFile(atPath: marker, contents: nil)
            kill(getpid(), SIGKILL)
            fatalError("unreachable")
        }

        let logger = Logger(label: "crash-bot", factory: { _ in SwiftLogNoOpLogHandler() })
        let (ledger, report) = try FileLedger.open(directory: directory)
        let registry = PrometheusCollectorRegistry()
        var configuration = ServerConfiguration()
        configuration.port = 0
        let ingest = WebhookIngest(ledger: ledger, configuration: configuration,
                                   metrics: IngestMetrics(factory: PrometheusMetricsFactory(registry: registry)), logger: logger)
        _ = try await ingest.restoreRecentDeliveries(head: report.headSeq, window: 10_000)
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        var api: any ChatwootAPI = HTTPChatwootAPI(httpClient: client, baseURL: chatwoot, accessToken: token)
        if armed && crash == "crash-after-echo" { api = DieAfterEcho(inner: api, directory: directory, die: die) }
        var outboxConfiguration = OutboxConfiguration()
        outboxConfiguration.echoGracePeriod = .seconds(2)
        outboxConfiguration.retry.baseDelay = .milliseconds(50)
        let outbox = Outbox(ledger: ledger, api: api, configuration: outboxConfiguration,
                            metrics: OutboxMetrics(factory: PrometheusMetricsFactory(registry: registry)), logger: logger)
        var crashAfterDecision: (@Sendable () -> Void)?
        if armed && crash == "crash-after-decision" { crashAfterDecision = { @Sendable () -> Void in die() } }
        let reactor = EchoReactor(ledger: ledger, directory: directory, afterDecision: crashAfterDecision)
        let app = buildApplication(configuration: configuration,
                                   dependencies: ServerDependencies(ingest: ingest, ledger: ledger, registry: registry, logger: logger),
                                   // Crashing after the decision: no outbox in that run, or it could
                                   // perform the decision (it follows the ledger too) before the kill.
                                   services: [LedgerService(ledger: ledger)] + (crashAfterDecision == nil ? [outbox] : []) + [reactor],
                                   onServerRunning: { port in TestHelper.say("listening \(port)") })
        try await app.runService()
        try await client.shutdown()
    }
}

/// The stand-in reactor: one decision per incoming customer message while pending.
struct EchoReactor: Service {
    let ledger: FileLedger
    let directory: LedgerDirectory
    let afterDecision: (@Sendable () -> Void)?

    func run() async throws {
        try await cancelWhenGracefulShutdown {
            let tail = try LedgerTail(directory: directory)
            var decided = Set<Seq>()
            for event in try tail.read(through: await ledger.headSeq(), limit: .max) where event.type == EventType.decision {
                if let cause = event.causation { decided.insert(cause) }
            }
            let replay = try LedgerTail(directory: directory)
            for await head in ledger.subscribe() {
                for event in try replay.read(through: head, limit: .max) {
                    if event.type == EventType.effectResult, let result = try? EffectResult.decode(event.body) {
                        TestHelper.say("effect \(result.outcome.rawValue)") // lets tests wait for results without polling
                        continue
                    }
                    guard event.type == EventType.webhookReceived, !decided.contains(event.seq) else { continue }
                    guard let (conversation, text) = Self.incomingPending(event.body) else { continue }
                    let decision = Decision(conversation: conversation, commands: [.sendMessage(.text("echo: \(text)"))], policy: "crash-bot")
                    _ = try await ledger.append([EventDraft(stream: event.stream, type: EventType.decision, time: event.time, causation: event.seq, body: try decision.encoded())])
                    decided.insert(event.seq)
                    afterDecision?()
                }
            }
        }
    }

    static func incomingPending(_ body: [UInt8]) -> (ConversationAddress, String)? {
        guard case .messageCreated(let message)? = try? WebhookEvent.decode(from: Data(body)),
              message.isIncoming, !message.isPrivate,
              message.conversation?.status == .pending,
              let address = WebhookEvent.messageCreated(message).conversationAddress else { return nil }
        return (address, message.content ?? "")
    }
}

/// Creates the message, waits until its echo is durable in the ledger, then dies before the
/// outbox can record the result.
struct DieAfterEcho: ChatwootAPI {
    let inner: any ChatwootAPI
    let directory: LedgerDirectory
    let die: @Sendable () -> Never

    func createMessage(_ message: OutgoingMessage, in conversation: ConversationAddress) async throws(ChatwootAPIError) -> PushMessage {
        let created = try await inner.createMessage(message, in: conversation)
        let source = message.sourceId ?? ""
        for _ in 0..<500 { // up to ~5 s for the echo webhook
            if let cursor = try? LedgerCursor(directory: directory) {
                while let event = try? cursor.next() {
                    // The echo proper: `message_created` with our source_id at the top level (a
                    // conversation_updated also quotes the message, but is not the echo).
                    if event.type == EventType.webhookReceived,
                       case .messageCreated(let echoed)? = try? WebhookEvent.decode(from: Data(event.body)),
                       echoed.sourceId == source { die() }
                }
            }
            try? await Task.sleep(for: .milliseconds(10)) // polling the files of a live ledger from outside its writer
        }
        die()
    }
    func toggleStatus(_ change: ConversationStatusChange, in conversation: ConversationAddress) async throws(ChatwootAPIError) -> ToggleStatusResult {
        try await inner.toggleStatus(change, in: conversation)
    }
    func togglePriority(_ priority: Priority?, in conversation: ConversationAddress) async throws(ChatwootAPIError) {
        try await inner.togglePriority(priority, in: conversation)
    }
    func updateCustomAttributes(_ attributes: [String: JSONValue], in conversation: ConversationAddress) async throws(ChatwootAPIError) -> [String: JSONValue] {
        try await inner.updateCustomAttributes(attributes, in: conversation)
    }
    func assign(_ assignee: Assignee, in conversation: ConversationAddress) async throws(ChatwootAPIError) -> JSONValue {
        try await inner.assign(assignee, in: conversation)
    }
    func toggleTyping(on: Bool, isPrivate: Bool, in conversation: ConversationAddress) async throws(ChatwootAPIError) {
        try await inner.toggleTyping(on: on, isPrivate: isPrivate, in: conversation)
    }
}
