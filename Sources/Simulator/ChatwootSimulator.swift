import AsyncHTTPClient
import Chatwoot
import Foundation
import Logging
import ServiceLifecycle

/// An embedded Chatwoot for demos and tests: the bot-token REST API on loopback, webhooks to the
/// bot, and a scripting API that plays customers and agents.
///
/// It plays Chatwoot as docs/chatwoot-protocol.md describes it: real payload shapes, status rules, delivery
/// ids, signatures, retries and the "marked open by system" failure handling. Webhook deliveries
/// run asynchronously and concurrently, like Sidekiq jobs; await them with
/// ``waitForDeliveries()`` instead of sleeping.
///
/// ```swift
/// try await ChatwootSimulator.withRunning(configuration: configuration) { chatwoot in
///     await chatwoot.connectBot(url: botURL)
///     let conversation = try await chatwoot.startConversation()
///     try await chatwoot.customerSays("Where is my order?", in: conversation)
///     await chatwoot.waitForDeliveries()
///     #expect(try await chatwoot.transcript(of: conversation).count == 1)
/// }
/// ```
///
/// As a `Service` it runs its HTTP server and delivery worker until cancelled or shut down
/// gracefully; ``withRunning(configuration:httpClient:logger:_:)`` does that around a closure.
public final class ChatwootSimulator: Service, Sendable {
    public let configuration: SimulatorConfiguration
    let store: SimulatorStore
    let queue: DeliveryQueue
    let requestLog: RequestLog
    let failures: FailureInjector
    let signal: ChangeSignal
    let server: ServerSupervisor
    private let worker: DeliveryWorker

    /// - Parameters:
    ///   - httpClient: Sends the webhooks; owned by the caller. Configure it with
    ///     ``httpClientConfiguration`` so that a refused connection fails at once, as in Chatwoot,
    ///     instead of being retried until the delivery timeout.
    ///   - logger: Receives `debug` lines per delivery and `info` for retries; nothing if `nil`.
    public init(configuration: SimulatorConfiguration = .init(), httpClient: HTTPClient, logger: Logger? = nil) {
        let logger = logger ?? Logger(label: "Simulator", factory: { _ in SwiftLogNoOpLogHandler() })
        self.configuration = configuration
        let signal = ChangeSignal()
        let queue = DeliveryQueue(makeDeliveryId: configuration.makeUUID, signal: signal)
        let store = SimulatorStore(
            world: SimulatorWorld(
                accounts: configuration.accounts,
                inboxes: configuration.inboxes,
                bot: configuration.bot,
                agents: configuration.agents,
                teams: configuration.teams,
                messageFloodLimit: configuration.messageFloodLimit
            ),
            queue: queue,
            signal: signal,
            now: configuration.now
        )
        let requestLog = RequestLog(signal: signal)
        let failures = FailureInjector()
        self.signal = signal
        self.queue = queue
        self.store = store
        self.requestLog = requestLog
        self.failures = failures
        self.server = ServerSupervisor(
            host: configuration.host,
            port: configuration.port,
            responder: SimulatorResponder(
                endpoints: ChatwootEndpoints(store: store),
                requestLog: requestLog,
                failures: failures,
                bodyLimit: configuration.bodyLimit
            ),
            logger: logger
        )
        self.worker = DeliveryWorker(
            queue: queue,
            httpClient: httpClient,
            configuration: configuration.delivery,
            now: configuration.now,
            onFailure: { messageId in
                await store.update { world, now in world.handleBotFailure(messageId: messageId, now: now) }
            },
            logger: logger
        )
    }

    /// Runs the HTTP server and the delivery worker until cancelled or shut down gracefully.
    public func run() async throws {
        await withGracefulShutdownHandler {
            await withDiscardingTaskGroup { group in
                group.addTask { await self.server.run() }
                group.addTask { await self.worker.run() }
            }
        } onGracefulShutdown: {
            self.server.finish()
            self.queue.shutDown()
        }
        server.finish()
        queue.shutDown()
    }

    /// Runs a simulator for the duration of `body`, which starts once the server is listening.
    ///
    /// - Parameter httpClient: Used for webhooks; when `nil`, one is created and shut down afterwards.
    /// - Throws: ``SimulatorError/Code/serverNotRunning`` if the server cannot bind, or what `body` throws.
    @discardableResult
    public static func withRunning<T>(
        configuration: SimulatorConfiguration = .init(),
        httpClient: HTTPClient? = nil,
        logger: Logger? = nil,
        _ body: (ChatwootSimulator) async throws -> T
    ) async throws -> T {
        let client =
            httpClient
            ?? HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: httpClientConfiguration)
        let simulator = ChatwootSimulator(configuration: configuration, httpClient: client, logger: logger)
        let result: Result<T, any Error> = await withTaskGroup(of: Void.self) { group in
            group.addTask {
                // Ends only by cancellation below; `run()` does not throw for it.
                try? await simulator.run()
            }
            defer { group.cancelAll() }
            do {
                _ = try await simulator.ready()
                return .success(try await body(simulator))
            } catch {
                return .failure(error)
            }
        }
        if httpClient == nil {
            try await client.shutdown()
        }
        return try result.get()
    }

    /// An `HTTPClient` configuration for webhook deliveries: connection establishment is not
    /// retried, so a bot that is down fails the attempt at once (Chatwoot's rest-client does not
    /// retry connecting either).
    public static var httpClientConfiguration: HTTPClient.Configuration {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool.retryConnectionEstablishment = false
        // Chatwoot does not follow a redirect: a 3xx is a failed delivery (and AsyncHTTPClient
        // would POST the body again to the new place on 307/308).
        configuration.redirectConfiguration = .disallow
        return configuration
    }

    /// Waits until the server listens for the first time and returns its base URL.
    /// - Throws: ``SimulatorError/Code/serverNotRunning`` if it could not bind.
    @discardableResult
    public func ready() async throws -> URL {
        let port = try await server.ready()
        return Self.url(host: configuration.host, port: port)
    }

    /// `http://host:port` of the REST API: what the bot uses as Chatwoot's base URL. Before the first
    /// start (see ``ready()``) the port is the configured one.
    public var baseURL: URL {
        Self.url(host: configuration.host, port: server.port ?? configuration.port)
    }

    /// The bot's access token.
    public var accessToken: String { configuration.bot.accessToken }

    private static func url(host: String, port: Int) -> URL {
        URL(string: "http://\(host):\(port)")!
    }
}
