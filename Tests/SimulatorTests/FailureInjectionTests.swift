import AsyncHTTPClient
import Chatwoot
import Foundation
import Simulator
import Testing

/// Injected failures of the bot's REST calls, and Chatwoot outages.
struct FailureInjectionTests {
    @Test func injectedStatusesAnswerWithoutEffect() async throws {
        try await withHarness { harness in
            let address = try await harness.chatwoot.startConversation(jane)
            harness.chatwoot.failNext(2, pathMatching: "/messages", with: .status(500))
            harness.chatwoot.failNext(pathMatching: "/messages", with: .status(429))
            for expected in [ChatwootAPIError.Kind.server, .server, .rateLimited] {
                let error = await apiError { _ = try await harness.api.createMessage(.text("Hello"), in: address) }
                #expect(error?.kind == expected)
            }
            #expect(harness.chatwoot.pendingFailureCount == 0)
            _ = try await harness.api.createMessage(.text("Hello"), in: address)
            #expect(try await harness.chatwoot.transcript(of: address).count == 1)

            let recorded = harness.chatwoot.requests
            #expect(recorded.map(\.responseStatus) == [500, 500, 429, 200])
            #expect(recorded[0].injectedFailure == .status(500))
            #expect(recorded[3].injectedFailure == nil)
        }
    }

    @Test func injectedUnprocessableWithChatwootsBody() async throws {
        try await withHarness { harness in
            let address = try await harness.chatwoot.startConversation(jane)
            harness.chatwoot.failNext(
                pathMatching: "/messages", method: "POST",
                with: .status(422, body: #"{"error":"Validation failed: Too many messages"}"#)
            )
            let response = try await harness.call(.POST, Harness.path(address, "messages"), json: #"{"content":"x"}"#)
            #expect(response.status == 422)
            #expect(response.body == ["error": "Validation failed: Too many messages"])
        }
    }

    @Test func rulesOnlyMatchTheirPath() async throws {
        try await withHarness { harness in
            let address = try await harness.chatwoot.startConversation(jane)
            harness.chatwoot.failNext(pathMatching: "/toggle_status", with: .status(503))
            _ = try await harness.api.createMessage(.text("Not affected"), in: address)
            await #expect(throws: ChatwootAPIError.self) {
                _ = try await harness.api.toggleStatus(.open, in: address)
            }
            #expect(try await harness.chatwoot.conversation(address).status == .pending)
        }
    }

    @Test func closedConnectionIsATransportError() async throws {
        try await withHarness { harness in
            let address = try await harness.chatwoot.startConversation(jane)
            harness.chatwoot.failNext(pathMatching: "/messages", with: .closeConnection)
            let error = await apiError { _ = try await harness.api.createMessage(.text("Hello"), in: address) }
            #expect(error?.kind == .transport)
            #expect(try await harness.chatwoot.transcript(of: address).isEmpty)
            #expect(harness.chatwoot.requests.last?.responseStatus == nil)
        }
    }

    @Test func stalledRequestTimesOutTheClient() async throws {
        try await withHarness { harness in
            let address = try await harness.chatwoot.startConversation(jane)
            harness.chatwoot.failNext(pathMatching: "/messages", with: .timeout(.seconds(30)))
            let impatient = harness.api(configuration: .init(requestTimeout: .milliseconds(300)))
            let error = await apiError { _ = try await impatient.createMessage(.text("Hello"), in: address) }
            #expect(error?.kind == .timeout)
            #expect(try await harness.chatwoot.transcript(of: address).isEmpty)
        }
    }

    @Test func slowResponseTakesEffectAlthoughTheClientGaveUp() async throws {
        try await withHarness { harness in
            let address = try await harness.chatwoot.startConversation(jane)
            harness.chatwoot.failNext(pathMatching: "/messages", with: .slowResponse(.seconds(30)))
            let impatient = harness.api(configuration: .init(requestTimeout: .milliseconds(300)))
            var message = OutgoingMessage.text("Hello")
            message.echoId = "effect-1"
            message.sourceId = "effect-1"
            let error = await apiError { _ = try await impatient.createMessage(message, in: address) }
            #expect(error?.kind == .timeout)
            // On a busy machine the handler may run only after the client's deadline: wait for it, within bounds.
            try await harness.chatwoot.waitUntil(timeout: .seconds(30)) { try await !$0.transcript(of: address).isEmpty }
            #expect(try await harness.chatwoot.transcript(of: address).map(\.content) == ["Hello"])
            // The echo goes out at once, while the answer is still held back.
            await harness.chatwoot.waitForDeliveries()
            let echo = try #require(harness.deliveries("message_created").first)
            #expect(echo.outcome == .delivered)
            #expect(echo.payload["source_id"] == "effect-1")
            #expect(harness.chatwoot.requests.last?.responseStatus == nil)
        }
    }

    @Test func stoppedServerRefusesConnectionsAndRestartsOnTheSamePort() async throws {
        try await withHarness { harness in
            let address = try await harness.chatwoot.startConversation(jane)
            let url = harness.chatwoot.baseURL
            await harness.chatwoot.stopServer()
            #expect(!harness.chatwoot.isServerRunning)
            let error = await apiError { _ = try await harness.api.createMessage(.text("Hello"), in: address) }
            #expect(error?.kind == .transport)
            // Chatwoot's jobs keep running while its API is down.
            try await harness.chatwoot.customerSays("Anyone?", in: address)
            await harness.chatwoot.waitForDeliveries()
            #expect(harness.deliveries("message_created").count == 1)

            let restarted = try await harness.chatwoot.restartServer()
            #expect(restarted == url)
            #expect(harness.chatwoot.isServerRunning)
            _ = try await harness.api.createMessage(.text("Back"), in: address)
            #expect(try await harness.chatwoot.transcript(of: address).last?.content == "Back")
            // Restarting a running server is a no-op.
            #expect(try await harness.chatwoot.restartServer() == url)
        }
    }
}
