import AsyncHTTPClient
import Chatwoot
import Foundation
import LedgerbotTesting
import Simulator
import Testing

/// Delivery headers, retries and failure handling (docs/chatwoot-protocol.md §3).
struct WebhookDeliveryTests {
    @Test func deliveryCarriesJSONHeadersAndAUUIDDeliveryId() async throws {
        try await withHarness { harness in
            let address = try await harness.chatwoot.startConversation(jane)
            try await harness.chatwoot.customerSays("Hi", in: address)
            await harness.chatwoot.waitForDeliveries()
            let received = try #require(await harness.bot.received.first)
            #expect(received.contentType == "application/json")
            #expect(received.accept == "application/json")
            let deliveryId = try #require(received.deliveryId)
            #expect(UUID(uuidString: deliveryId) != nil)
            #expect(deliveryId == deliveryId.lowercased())
            #expect(received.signature == nil)  // no secret configured
            #expect(received.timestamp == nil)
            let delivery = try #require(harness.chatwoot.deliveries.first)
            #expect(delivery.deliveryId.uuidString.lowercased() == deliveryId)
            #expect(delivery.body == received.body)
            #expect(delivery.outcome == .delivered)
            #expect(delivery.attempts.count == 1)
        }
    }

    @Test func signatureVerifiesWithTheBotSecret() async throws {
        var configuration = SimulatorConfiguration.testing
        configuration.bot.secret = "s3cr3t-s3cr3t-s3cr3t-s3c"
        try await withHarness(configuration) { harness in
            let address = try await harness.chatwoot.startConversation(jane)
            try await harness.chatwoot.customerSays("Hi", in: address)
            await harness.chatwoot.waitForDeliveries()
            let received = try #require(await harness.bot.received.first)
            let signature = WebhookSignature(secret: "s3cr3t-s3cr3t-s3cr3t-s3c")
            let timestamp = try signature.verify(
                body: received.body,
                signatureHeader: received.signature,
                timestampHeader: received.timestamp,
                now: Date()
            )
            #expect(harness.chatwoot.deliveries.first?.attempts.first?.timestamp == timestamp)
            #expect(throws: WebhookSignatureError.self) {
                try WebhookSignature(secret: "wrong").verify(
                    body: received.body,
                    signatureHeader: received.signature,
                    timestampHeader: received.timestamp,
                    now: Date()
                )
            }
        }
    }

    @Test(arguments: [429, 500])
    func retryableAnswersAreRetriedWithTheSameDeliveryId(status: Int) async throws {
        try await withHarness { harness in
            await harness.bot.answerNext(.status(status), .status(status))
            let address = try await harness.chatwoot.startConversation(jane)
            try await harness.chatwoot.customerSays("Hi", in: address)
            await harness.chatwoot.waitForDeliveries()
            let received = await harness.bot.received
            #expect(received.count == 3)
            #expect(Set(received.map(\.deliveryId)).count == 1)
            #expect(Set(received.map(\.body)).count == 1)
            let delivery = try #require(harness.chatwoot.deliveries.first)
            #expect(delivery.attempts.map(\.status) == [status, status, 200])
            #expect(delivery.attempts.map(\.number) == [1, 2, 3])
            #expect(delivery.outcome == .delivered)
            #expect(try await harness.chatwoot.conversation(address).status == .pending)
        }
    }

    @Test func threeRetryableFailuresRunFailureHandling() async throws {
        try await withHarness { harness in
            await harness.bot.answerNext("message_created", with: .status(500), .status(500), .status(500))
            let address = try await harness.chatwoot.startConversation(jane)
            try await harness.chatwoot.customerSays("Hi", in: address)
            await harness.chatwoot.waitForDeliveries()
            let delivery = try #require(harness.deliveries("message_created").first)
            #expect(delivery.attempts.map(\.status) == [500, 500, 500])
            #expect(delivery.outcome == .failed)
            #expect(try await harness.chatwoot.conversation(address).status == .open)
        }
    }

    @Test func badRequestOnAMessageEventOpensThePendingConversation() async throws {
        try await withHarness { harness in
            await harness.bot.answerNext("message_created", with: .status(400))
            let address = try await harness.chatwoot.startConversation(jane)
            try await harness.chatwoot.customerSays("Hi", in: address)
            await harness.chatwoot.waitForDeliveries()

            let delivery = try #require(harness.deliveries("message_created").first)
            #expect(delivery.attempts.map(\.status) == [400])  // no retry
            #expect(delivery.outcome == .failed)
            #expect(try await harness.chatwoot.conversation(address).status == .open)
            let transcript = try await harness.chatwoot.transcript(of: address)
            let activity = try #require(transcript.last)
            #expect(activity.messageType == .activity)
            #expect(activity.content == "Conversation was marked open by system due to an error with the agent bot.")
            // The status change itself is sent to the bot (and awaited by waitForDeliveries).
            #expect(harness.deliveries("conversation_opened").count == 1)
            #expect(harness.deliveries("conversation_opened").first?.outcome == .delivered)
            #expect(await harness.bot.events().contains("conversation_status_changed"))
        }
    }

    /// Chatwoot does not follow redirects: a 308 from the bot (a trailing-slash or https
    /// redirect) is a failed delivery, sent once, and the conversation goes to a human.
    @Test func aRedirectIsAFailedDeliveryNotFollowed() async throws {
        try await withHarness { harness in
            await harness.bot.answerNext("message_created", with: .status(308))
            let address = try await harness.chatwoot.startConversation(jane)
            try await harness.chatwoot.customerSays("Hi", in: address)
            await harness.chatwoot.waitForDeliveries()
            let delivery = try #require(harness.deliveries("message_created").first)
            #expect(delivery.attempts.map(\.status) == [308])
            #expect(delivery.outcome == .failed)
            #expect(await harness.bot.events().filter { $0 == "message_created" }.count == 1, "the redirect was followed")
            #expect(try await harness.chatwoot.conversation(address).status == .open)
        }
    }

    /// A delivery cut off because the simulator stops is not the bot's failure: the conversation
    /// is not opened "due to an error with the agent bot".
    @Test func aDeliveryCutOffByShutdownIsNotABotFailure() async throws {
        let kept = LockedBox<(ChatwootSimulator, ConversationAddress)?>(nil)
        try await TestBot.run { botURL, inbox in
            await inbox.answerNext("message_created", with: BotAnswer(status: 200, delay: .seconds(3)))
            let httpClient = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: ChatwootSimulator.httpClientConfiguration)
            try await ChatwootSimulator.withRunning(configuration: .testing, httpClient: httpClient) { chatwoot in
                await chatwoot.connectBot(url: botURL)
                let address = try await chatwoot.startConversation(jane)
                try await chatwoot.customerSays("Hi", in: address)
                for _ in 0..<100 where await inbox.events().contains("message_created") == false { try await Task.sleep(for: .milliseconds(20)) }
                kept.value = (chatwoot, address)
            }
            try await httpClient.shutdown()
        }
        let (chatwoot, address) = try #require(kept.value)
        #expect(try await chatwoot.conversation(address).status == .pending)
        #expect(try await !chatwoot.transcript(of: address).contains { $0.content?.contains("due to an error with the agent bot") == true })
    }

    @Test func failureOfAConversationEventIsOnlyLogged() async throws {
        try await withHarness { harness in
            await harness.bot.answerNext("conversation_updated", with: .status(404))
            let address = try await harness.chatwoot.startConversation(jane)
            try await harness.api.togglePriority(.high, in: address)
            await harness.chatwoot.waitForDeliveries()
            #expect(harness.deliveries("conversation_updated").first?.outcome == .failed)
            #expect(try await harness.chatwoot.conversation(address).status == .pending)
        }
    }

    @Test func keepPendingOnBotFailureLeavesTheConversationPending() async throws {
        var configuration = SimulatorConfiguration.testing
        configuration.accounts[0].keepPendingOnBotFailure = true
        try await withHarness(configuration) { harness in
            await harness.bot.answerNext(.status(400))
            let address = try await harness.chatwoot.startConversation(jane)
            try await harness.chatwoot.customerSays("Hi", in: address)
            await harness.chatwoot.waitForDeliveries()
            #expect(try await harness.chatwoot.conversation(address).status == .pending)
        }
    }

    @Test func slowBotTimesOutAndOpensTheConversation() async throws {
        var configuration = SimulatorConfiguration.testing
        configuration.delivery.timeout = .milliseconds(200)
        try await withHarness(configuration) { harness in
            await harness.bot.answerNext("message_created", with: BotAnswer(status: 200, delay: .seconds(2)))
            let address = try await harness.chatwoot.startConversation(jane)
            try await harness.chatwoot.customerSays("Hi", in: address)
            await harness.chatwoot.waitForDeliveries()
            let delivery = try #require(harness.deliveries("message_created").first)
            #expect(delivery.attempts.count == 1)
            #expect(delivery.attempts[0].status == nil)
            #expect(delivery.attempts[0].error != nil)
            #expect(try await harness.chatwoot.conversation(address).status == .open)
        }
    }

    @Test func unreachableBotCountsAsAFailure() async throws {
        try await withHarness { harness in
            await harness.chatwoot.connectBot(url: URL(string: "http://127.0.0.1:1/webhooks")!)
            let address = try await harness.chatwoot.startConversation(jane)
            try await harness.chatwoot.customerSays("Hi", in: address)
            await harness.chatwoot.waitForDeliveries()
            let delivery = try #require(harness.deliveries("message_created").first)
            #expect(delivery.attempts.first?.status == nil)
            #expect(try await harness.chatwoot.conversation(address).status == .open)
        }
    }

    @Test func noDeliveryWithoutAnOutgoingURL() async throws {
        try await withHarness { harness in
            await harness.chatwoot.connectBot(url: nil)
            let address = try await harness.chatwoot.startConversation(jane)
            try await harness.chatwoot.customerSays("Hi", in: address)
            await harness.chatwoot.waitForDeliveries()
            #expect(harness.chatwoot.deliveries.isEmpty)
        }
    }

    @Test func waitUntilObservesTheBotsAsynchronousEffects() async throws {
        try await withHarness { harness in
            let address = try await harness.chatwoot.startConversation(jane)
            let api = harness.api
            async let reply: Void = {
                // A bot acting some time after its webhook: the simulator is awaited, not slept on.
                _ = try await api.createMessage(.text("On it"), in: address)
            }()
            try await harness.chatwoot.waitUntil { chatwoot in
                try await chatwoot.transcript(of: address).contains { $0.content == "On it" }
            }
            try await reply
            await #expect(throws: SimulatorError.self) {
                try await harness.chatwoot.waitUntil(timeout: .milliseconds(50)) { _ in false }
            }
        }
    }
}
