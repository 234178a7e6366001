import AsyncHTTPClient
import Chatwoot
import Domain
import Effects
import Foundation
import Ledger
import LedgerbotTesting
import Logging
import Metrics
import Server
import Simulator
import Testing

/// The ingest server and the outbox against the Chatwoot simulator, over real HTTP on loopback:
/// webhooks in, decisions performed through the REST API, echoes recorded.
/// (The policy reactor is issue #5; here the test appends the decisions a reactor would.)
@Suite struct OutboxOverHTTPTests {
    /// Runs simulator + ingest + outbox; `body` gets the simulator and the ledger.
    private func withStack(simulator: SimulatorConfiguration = .init(),
                           _ body: @Sendable (ChatwootSimulator, FileLedger, LedgerDirectory) async throws -> Void) async throws {
        let temp = TemporaryDirectory()
        let directory = temp.ledgerDirectory
        try await ChatwootSimulator.withRunning(configuration: simulator) { chatwoot in
            try await HTTPClient.withHTTPClient { client in
                var configuration = OutboxConfiguration()
                configuration.retry.baseDelay = .milliseconds(20)
                configuration.retry.maximumAttempts = 5
                configuration.ambiguousCreateWait = .seconds(30) // ends when the echo comes; generous for a loaded machine
                try await ServerHarness.with(directory: directory, extraServices: { ledger in
                    [Outbox(ledger: ledger,
                            api: HTTPChatwootAPI(httpClient: client, baseURL: chatwoot.baseURL, accessToken: chatwoot.accessToken,
                                                 configuration: .init(requestTimeout: .milliseconds(500))),
                            configuration: configuration, metrics: OutboxMetrics(factory: NOOPMetricsHandler.instance),
                            logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))]
                }) { server in
                    await chatwoot.connectBot(url: URL(string: "http://127.0.0.1:\(server.port)/webhooks/chatwoot"))
                    try await body(chatwoot, server.ledger, directory)
                }
            }
        }
    }

    /// Waits for the webhook carrying `text` and appends the decision a reactor would make for it.
    private func decide(_ ledger: FileLedger, replyingTo text: String, with commands: @escaping @Sendable (ConversationAddress) -> [Command]) async throws -> Seq {
        for await head in ledger.subscribe() {
            for event in try await ledger.read(from: 1, limit: Int(head)) where event.type == EventType.webhookReceived {
                guard case .messageCreated(let message)? = try? WebhookEvent.decode(from: Data(event.body)), message.isIncoming,
                      message.content == text, let address = WebhookEvent.messageCreated(message).conversationAddress else { continue }
                let decision = Decision(conversation: address, commands: commands(address), policy: "test")
                return try await ledger.append([EventDraft(stream: event.stream, type: EventType.decision, time: event.time,
                                                           causation: event.seq, body: try decision.encoded())]).lowerBound
            }
        }
        throw CancellationError()
    }

    private func results(_ ledger: FileLedger, count: Int) async throws -> [EffectResult] {
        for await head in ledger.subscribe() {
            let found = try await ledger.read(from: 1, limit: Int(head)).filter { $0.type == EventType.effectResult }
            if found.count >= count { return try found.map { try EffectResult.decode($0.body) } }
        }
        return []
    }

    @Test func aDecidedReplyReachesTheCustomerAndItsEchoIsRecorded() async throws {
        try await withStack { chatwoot, ledger, _ in
            let conversation = try await chatwoot.startConversation()
            try await chatwoot.customerSays("Where is my order?", in: conversation)
            let decisionSeq = try await decide(ledger, replyingTo: "Where is my order?") { _ in
                [.sendMessage(.inputSelect("Which order?", items: [SelectItem(title: "A-1001", value: "A-1001")])),
                 .sendMessage(.privateNote("bot: asked for the order")), .setPriority(.high)]
            }
            let results = try await results(ledger, count: 3)
            #expect(results.map(\.outcome) == [.ok, .ok, .ok])
            try await chatwoot.waitUntil { try await $0.transcript(of: conversation).count >= 3 }
            let transcript = try await chatwoot.transcript(of: conversation)
            let bot = transcript.filter { $0.senderKind == .agentBot }
            #expect(bot.map(\.contentType) == [.inputSelect, .text])
            #expect(bot.first?.sourceId == "ledgerbot:\(decisionSeq):0")
            #expect(bot.last?.isPrivate == true)
            #expect(try await chatwoot.conversation(conversation).priority == .high)
            // The echo of the bot's own message came back as a webhook and is in the ledger.
            await chatwoot.waitForDeliveries()
            let echoes = try await ledger.read(from: 1, limit: 100).filter {
                $0.type == EventType.webhookReceived && String(decoding: $0.body, as: UTF8.self).contains("ledgerbot:\(decisionSeq):0")
            }
            #expect(echoes.count >= 1)
        }
    }

    @Test func rateLimitsAndServerErrorsAreRetriedAndValidationErrorsRecorded() async throws {
        try await withStack { chatwoot, ledger, _ in
            let conversation = try await chatwoot.startConversation()
            await chatwoot.failNext(2, pathMatching: "/messages", with: .status(429))
            await chatwoot.failNext(1, pathMatching: "/messages", with: .status(500))
            try await chatwoot.customerSays("hi", in: conversation)
            _ = try await decide(ledger, replyingTo: "hi") { _ in [.sendMessage(.text("Hello!"))] }
            let first = try await results(ledger, count: 1)
            #expect(first[0].outcome == .ok && first[0].attempts == 4)

            await chatwoot.failNext(1, pathMatching: "/messages", with: .status(422, body: #"{"error":"Validation failed: Content attributes At least one item is required."}"#))
            try await chatwoot.customerSays("again", in: conversation)
            _ = try await decide(ledger, replyingTo: "again") { _ in [.sendMessage(.text("Second"))] }
            let second = try await results(ledger, count: 2)
            #expect(second[1].outcome == .failed && second[1].status == 422 && second[1].attempts == 1)
            #expect(second[1].error?.contains("At least one item") == true)
            let botMessages = try await chatwoot.transcript(of: conversation).filter { $0.senderKind == .agentBot }
            #expect(botMessages.map(\.content) == ["Hello!"], "each reply at most once")
        }
    }

    /// Chatwoot creates the message but the answer is lost: it comes after the client's 500 ms
    /// timeout, or a gateway answers 502 instead. The echo comes 300 ms after the create, long
    /// after the outbox's first retry (20 ms), so only waiting for it prevents a second message.
    @Test(arguments: [InjectedFailure.slowResponse(.seconds(1)), .answerLost(status: 502)])
    func aCreateThatTookEffectButFailedIsNotSentTwice(_ failure: InjectedFailure) async throws {
        var simulator = SimulatorConfiguration()
        simulator.delivery.queueLatency = .milliseconds(300)
        try await withStack(simulator: simulator) { chatwoot, ledger, _ in
            let conversation = try await chatwoot.startConversation()
            await chatwoot.failNext(1, pathMatching: "/messages", with: failure)
            try await chatwoot.customerSays("took effect", in: conversation)
            _ = try await decide(ledger, replyingTo: "took effect") { _ in [.sendMessage(.text("Only once"))] }
            let result = try await results(ledger, count: 1)
            #expect(result[0].outcome == .ok && result[0].attempts >= 2)
            let bot = try await chatwoot.transcript(of: conversation).filter { $0.senderKind == .agentBot }
            #expect(bot.map(\.content) == ["Only once"])
        }
    }

    @Test func chatwootsFloodGuardIsWaitedOut() async throws {
        try await withStack { chatwoot, ledger, _ in
            let conversation = try await chatwoot.startConversation()
            await chatwoot.failNext(1, pathMatching: "/messages", with: .status(422, body: #"{"error":"Validation failed: Too many messages"}"#))
            try await chatwoot.customerSays("flood", in: conversation)
            _ = try await decide(ledger, replyingTo: "flood") { _ in [.sendMessage(.text("After the flood"))] }
            let result = try await results(ledger, count: 1)
            #expect(result[0].outcome == .ok && result[0].attempts == 2)
            let bot = try await chatwoot.transcript(of: conversation).filter { $0.senderKind == .agentBot }
            #expect(bot.map(\.content) == ["After the flood"])
        }
    }

    @Test func whileChatwootIsDownTheReplyWaitsAndIsDeliveredOnceItIsBack() async throws {
        try await withStack { chatwoot, ledger, _ in
            let conversation = try await chatwoot.startConversation()
            try await chatwoot.customerSays("are you there?", in: conversation)
            await chatwoot.waitForDeliveries()
            await chatwoot.stopServer()
            _ = try await decide(ledger, replyingTo: "are you there?") { _ in [.sendMessage(.text("Yes!"))] }
            // Connection refused is retried with backoff until Chatwoot answers again (how many
            // attempts fail depends on timing; that the reply arrives once is what matters).
            _ = try await chatwoot.restartServer()
            let result = try await results(ledger, count: 1)
            #expect(result[0].outcome == .ok)
            let bot = try await chatwoot.transcript(of: conversation).filter { $0.senderKind == .agentBot }
            #expect(bot.map(\.content) == ["Yes!"])
        }
    }

    @Test func tokensAndEndpointsAreCheckedByTheSimulatedChatwoot() async throws {
        try await ChatwootSimulator.withRunning { chatwoot in
            try await HTTPClient.withHTTPClient { client in
                let wrong = HTTPChatwootAPI(httpClient: client, baseURL: chatwoot.baseURL, accessToken: "not-the-token")
                let conversation = try await chatwoot.startConversation()
                await #expect { _ = try await wrong.createMessage(.text("x"), in: conversation) } throws: { error in
                    (error as? ChatwootAPIError)?.kind == .unauthorized
                }
            }
        }
    }
}
