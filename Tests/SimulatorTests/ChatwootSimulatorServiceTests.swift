import AsyncHTTPClient
import Chatwoot
import Foundation
import Logging
import ServiceLifecycle
import Simulator
import Testing

/// The simulator as a `Service`: start-up, graceful shutdown, bind failures.
struct ChatwootSimulatorServiceTests {
    private let logger = Logger(label: "SimulatorTests", factory: { _ in SwiftLogNoOpLogHandler() })

    @Test func gracefulShutdownStopsTheServer() async throws {
        // Shut down on every path: a client dropped without it is a fatal error in debug builds.
        try await HTTPClient.withHTTPClient(configuration: ChatwootSimulator.httpClientConfiguration) { client in
            let simulator = ChatwootSimulator(httpClient: client, logger: logger)
            let group = ServiceGroup(configuration: .init(services: [simulator], logger: logger))
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await group.run() }
                do {
                    let url = try await simulator.ready()
                    #expect(url == simulator.baseURL)
                    #expect(simulator.isServerRunning)
                    let address = try await simulator.startConversation()
                    // What is tested is the shutdown, not the call's speed: a generous deadline, so a
                    // full test run on two busy cores cannot fail it.
                    let api = HTTPChatwootAPI(httpClient: client, baseURL: url, accessToken: simulator.accessToken,
                                              configuration: .init(requestTimeout: .seconds(120)))
                    _ = try await api.createMessage(.text("Hello"), in: address)
                } catch {
                    await group.triggerGracefulShutdown()
                    throw error
                }
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
            }
            #expect(!simulator.isServerRunning)
            await #expect(throws: SimulatorError.self) { try await simulator.restartServer() }
        }
    }

    @Test func portInUseFailsTheStart() async throws {
        try await ChatwootSimulator.withRunning { first in
            var configuration = SimulatorConfiguration()
            configuration.port = try #require(first.baseURL.port)
            do {
                try await ChatwootSimulator.withRunning(configuration: configuration) { _ in
                    Issue.record("The second simulator should not start")
                }
            } catch let error as SimulatorError {
                #expect(error.code == .serverNotRunning)
            }
        }
    }

    @Test func defaultsMatchTheFixtures() async throws {
        try await ChatwootSimulator.withRunning { chatwoot in
            let visitor = try await chatwoot.createVisitor()
            let address = try await chatwoot.startConversation(for: visitor)
            let message = try await chatwoot.customerSays("Hi", in: address)
            #expect(address == ConversationAddress(accountId: 1, conversationId: 128))
            #expect(visitor.contactId == 42)
            #expect(visitor.id == 57)
            #expect(message.id == 9001)
            #expect(chatwoot.accessToken.count == 24)
        }
    }
}
