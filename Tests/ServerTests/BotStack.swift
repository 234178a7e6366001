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
import Projections
import JSONScan
import Server
import Simulator
import Testing
import BotRuntime
import NIOCore
import NIOHTTP1
import Server

/// The whole bot over real HTTP on loopback: the Chatwoot simulator, the sample backends, and the
/// `serve` stack (ingest → ledger → projections + reactor → outbox → Chatwoot API / lookups),
/// running a policy from `Tests/Fixtures/policies`.
struct BotStack: Sendable {
    let chatwoot: ChatwootSimulator
    let backends: SampleBackends
    let running: RunningBot

    var ledger: any LedgerStore { running.ledger }
    var directory: LedgerDirectory { running.directory }

    /// Starts everything, runs `body`, and stops. Pass `directory` to run twice over one ledger.
    static func run(policy name: String = "shop-bot.yml", yaml: String? = nil, directory: LedgerDirectory? = nil,
                    adminToken: String? = nil, variables: [String: String] = [:],
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
            var configuration = BotConfiguration(directory: directory, policy: policy)
            // Generous: a test that wants a timeout injects a slow response; on a loaded two-core
            // CI machine a plain simulator call has taken over 2 s.
            configuration.chatwoot = .init(baseURL: chatwoot.baseURL, accessToken: chatwoot.accessToken, requestTimeout: .seconds(10))
            configuration.lookupVariables = variables.merging(["SHOP_API": backends.baseURL]) { $1 }
            configuration.server.adminToken = adminToken.map(AdminToken.init)
            configuration.outbox.retry.baseDelay = .milliseconds(20)
            configuration.outbox.retry.maximumAttempts = 4
            configuration.outbox.echoGracePeriod = .seconds(2)
            let logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
            try await Bot.withRunning(configuration, logger: logger) { running in
                await chatwoot.connectBot(url: running.webhookURL)
                try await body(BotStack(chatwoot: chatwoot, backends: backends, running: running))
            }
        }
        // Every run proves determinism: replaying its ledger re-derives every decision byte for byte.
        // The ledger is read ahead on a second thread here, and on the calling thread below.
        var readAhead = Replayer.Options()
        readAhead.threads = 2
        let replay = try await Replayer(directory: directory, options: readAhead).run()
        if !replay.changes.isEmpty || replay.compared != replay.identical {
            throw ReplayMismatch(report: replay)
        }
        // The same on the calling thread (frame heads only there too).
        var oneThread = Replayer.Options()
        oneThread.threads = 1
        let alone = try await Replayer(directory: directory, options: oneThread).run()
        if !alone.changes.isEmpty || alone.compared != replay.compared || alone.identical != replay.identical {
            throw ReplayMismatch(report: alone)
        }
        // And so does reading every webhook from its raw body instead of the compact form ingest
        // recorded beside it; every webhook carries that form, and it reads as its body does.
        // This replay keeps one conversation state in memory and spills the others to a file.
        var fromRawBody = Replayer.Options()
        fromRawBody.fromRawBody = true
        fromRawBody.threads = 1
        fromRawBody.residentConversations = 1
        let raw = try await Replayer(directory: directory, options: fromRawBody).run()
        if !raw.changes.isEmpty || raw.compared != replay.compared || raw.identical != replay.identical {
            throw ReplayMismatch(report: raw)
        }
        let cursor = try LedgerCursor(directory: directory)
        while let event = try cursor.next() {
            guard event.type == EventType.webhookReceived else { continue }
            let form = event.meta.withUnsafeBytes { JSONObjectView($0)?.string(WebhookMeta.compactFormName) }
            // Every webhook but a submitted answer (read from its body) carries a current form.
            let expected = WebhookDigest(body: event.body)?.message?.answer == nil ? WebhookDigest.compactFormName : nil
            if form != expected || WebhookDigest.compactFormAgrees(in: event) == false
                || WebhookDigest(event: event) != WebhookDigest(event: event, fromRawBody: true) {
                throw CompactFormMismatch(seq: event.seq, meta: String(decoding: event.meta, as: UTF8.self))
            }
        }
    }

    struct CompactFormMismatch: Error, CustomStringConvertible {
        var seq: Seq
        var meta: String
        var description: String { "webhook at seq \(seq): its compact form is missing or reads differently from its body (meta \(meta))" }
    }

    /// The shop bot answers `text` from `visitor` in a first run over a ledger in `temp`; `body`
    /// goes on with the same ledger, Chatwoot, backends and conversation (a restart, a new
    /// version, a pause).
    static func afterFirstRun(in temp: TemporaryDirectory, visitor: VisitorProfile, saying text: String,
                              _ body: @Sendable (LedgerDirectory, ChatwootSimulator, SampleBackends, ConversationAddress) async throws -> Void) async throws {
        let directory = temp.ledgerDirectory
        try await ChatwootSimulator.withRunning { chatwoot in
            try await SampleBackends.withRunning { backends in
                let conversation = LockedBox<ConversationAddress?>(nil)
                try await BotStack.run(directory: directory, chatwoot: chatwoot, backends: backends) { bot in
                    let address = try await bot.chatwoot.startConversation(visitor)
                    conversation.value = address
                    try await bot.customer(text, in: address)
                }
                try await body(directory, chatwoot, backends, try #require(conversation.value))
            }
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

    /// Returns once webhooks are delivered, everything is decided and every decided command performed.
    func settle() async throws {
        try await running.settle { await chatwoot.waitForDeliveries() }
    }

    /// The customer writes and the bot finishes whatever it does about it.
    @discardableResult
    func customer(_ text: String, in conversation: ConversationAddress) async throws -> SimulatedMessage {
        let message = try await chatwoot.customerSays(text, in: conversation)
        try await settle()
        return message
    }

    /// POSTs a raw webhook body to the bot, as Chatwoot would.
    func post(_ body: [UInt8], headers: [String: String]) async throws -> Int {
        try await request("/webhooks/chatwoot", method: .POST, headers: headers, body: body).status
    }

    /// One HTTP request to the bot: (status, headers, body).
    func request(_ path: String, method: HTTPMethod = .GET, headers: [String: String] = [:], body: [UInt8]? = nil) async throws
        -> (status: Int, headers: [String: String], body: String) {
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(running.port)\(path)")
        request.method = method
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
        do {
            let response = try await client.execute(request, timeout: .seconds(60))
            let text = String(buffer: try await response.body.collect(upTo: 4 << 20))
            var fields: [String: String] = [:]
            for header in response.headers { fields[header.name.lowercased()] = header.value }
            try await client.shutdown()
            return (Int(response.status.code), fields, text)
        } catch {
            try? await client.shutdown()
            throw error
        }
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
