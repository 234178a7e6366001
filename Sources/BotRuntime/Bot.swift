import AsyncHTTPClient
import Chatwoot
import Domain
import Effects
import Engine
import Foundation
import HTTPSupport
import Hummingbird
import Ledger
import Logging
import Policy
import PostgresLedger
import Projections
import Prometheus
import Server
import ServiceLifecycle

/// Everything a running bot needs, parsed once at the edge (CLI flags and environment, or a
/// test, or the demo).
public struct BotConfiguration: Sendable {
    /// The data directory: the file ledger and its index, or — with a PostgreSQL ledger — this
    /// instance's own projections (`index.sqlite`, rebuilt from the shared ledger).
    public var directory: LedgerDirectory
    /// Where the ledger lives.
    public var backend: LedgerBackend = .file
    /// The bot version; nil records and projects webhooks without deciding anything.
    public var policy: Policy?
    public var server = ServerConfiguration()
    public var ledger = LedgerConfiguration()
    /// Where decisions are performed; nil records only.
    public var chatwoot: ChatwootConnection?
    /// `${NAME}` values for lookups (the process environment in `serve`).
    public var lookupVariables: [String: String] = [:]
    public var outbox = OutboxConfiguration()

    public struct ChatwootConnection: Sendable {
        public var baseURL: URL
        public var accessToken: String
        public var requestTimeout: Duration

        public init(baseURL: URL, accessToken: String, requestTimeout: Duration = .seconds(10)) {
            self.baseURL = baseURL
            self.accessToken = accessToken
            self.requestTimeout = requestTimeout
        }
    }

    public init(directory: LedgerDirectory, policy: Policy? = nil) {
        self.directory = directory
        self.policy = policy
    }
}

/// Where the bot's ledger lives.
public enum LedgerBackend: Sendable {
    /// Segment files under the data directory (the default; one instance).
    case file
    /// A PostgreSQL database several instances share: every instance ingests webhooks; the one
    /// holding the reactor lease folds, decides and performs effects.
    case postgres(PostgresLocation, PostgresLedgerConfiguration = .init(), leaseRetry: Duration = .seconds(1))
}

/// The assembled bot — ingest server, ledger, projections + reactor, outbox — the same for
/// `ledgerbot serve`, `ledgerbot demo` and the end-to-end tests.
public struct Bot: Sendable {
    public let configuration: BotConfiguration
    public let ledger: any LedgerStore
    public let projections: ProjectionService
    public let registry: PrometheusCollectorRegistry
    private let services: [any Service]
    private let ingest: WebhookIngest
    /// Whether the ledger is shared with other instances (PostgreSQL).
    var isShared: Bool { if case .file = configuration.backend { false } else { true } }
    /// Whether ingest still has a delivery on its way into the ledger.
    var ingestIsStoring: Bool { ingest.isStoring }
    private let httpClient: HTTPClient
    private let logger: Logger

    /// Opens the ledger (recovering a torn tail) and restores the deduplication window.
    /// - Throws: ledger errors (another process holds the lock, damage…), projection errors.
    public static func open(_ configuration: BotConfiguration, logger: Logger, now: @escaping @Sendable () -> Date = Date.init) async throws -> Bot {
        let ledger: any LedgerStore
        // What the deciding services append through: with PostgreSQL, fenced by the reactor lease.
        let decidingLedger: any LedgerStore
        let fenced: FencedLedger?
        switch configuration.backend {
        case .file:
            let (file, report) = try FileLedger.open(directory: configuration.directory, configuration: configuration.ledger, logger: logger)
            if let torn = report.truncated { logger.warning("recovered from a crash", metadata: ["ledger.truncated": "\(torn)"]) }
            ledger = file
            decidingLedger = file
            fenced = nil
        case .postgres(let location, let postgres, _):
            let shared = try await PostgresLedger.open(location, configuration: postgres, logger: logger)
            logger.info("ledger in PostgreSQL", metadata: ["ledger.location": "\(location)"])
            ledger = shared
            fenced = FencedLedger(shared)
            decidingLedger = fenced!
        }
        let head = await ledger.headSeq()
        let registry = PrometheusCollectorRegistry()
        let ingest = WebhookIngest(ledger: ledger, configuration: configuration.server,
                                   metrics: IngestMetrics(factory: PrometheusMetricsFactory(registry: registry)), logger: logger, now: now,
                                   compactForm: WebhookCompactForm(name: WebhookDigest.compactFormName, derive: WebhookDigest.compactForm(of:)))
        let restored = try await ingest.restoreRecentDeliveries(head: head, window: configuration.server.deduplicationWindow)
        logger.info("ledger open", metadata: ["ledger.head_seq": "\(head)", "ledger.deliveries_remembered": "\(restored)"])
        let projections = try ProjectionService(ledger: decidingLedger, directory: configuration.directory, policy: configuration.policy, logger: logger)
        let httpClient = HTTPExchange.makeClient()
        // Folding, deciding, timers and effects: on every file-ledger bot; on one PostgreSQL
        // instance at a time (the reactor lease holder).
        var deciding: [any Service] = [projections, TimerService(ledger: decidingLedger, projections: projections, logger: logger)]
        if let chatwoot = configuration.chatwoot {
            let api = HTTPChatwootAPI(httpClient: httpClient, baseURL: chatwoot.baseURL, accessToken: chatwoot.accessToken,
                                      configuration: .init(requestTimeout: chatwoot.requestTimeout), logger: logger)
            let lookups = HTTPLookupPerformer(httpClient: httpClient, variables: configuration.lookupVariables, logger: logger)
            let nlu = try configuration.policy.flatMap { try ExternalNLUFactory.make($0, variables: configuration.lookupVariables, httpClient: httpClient, logger: logger) }
            deciding.append(Outbox(ledger: decidingLedger, api: api, lookups: lookups, nlu: nlu, ownership: projections,
                                   configuration: configuration.outbox,
                                   metrics: OutboxMetrics(factory: PrometheusMetricsFactory(registry: registry)), logger: logger))
        }
        var services: [any Service] = [LedgerService(ledger: ledger)]
        switch configuration.backend {
        case .file:
            services += deciding
        case .postgres(let location, _, let retry):
            services.append(LeaseHolderServices(lease: "reactor", location: location, retry: retry, services: deciding, ledger: fenced!, logger: logger))
        }
        return Bot(configuration: configuration, ledger: ledger, projections: projections, registry: registry, services: services,
                   ingest: ingest, httpClient: httpClient, logger: logger)
    }

    /// The Hummingbird application with the bot's services; run it with `runService()` (signals)
    /// or inside a service group.
    public func application(onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }) -> some ApplicationProtocol {
        buildApplication(configuration: configuration.server,
                         dependencies: ServerDependencies(ingest: ingest, ledger: ledger, registry: registry, logger: logger,
                                                          pages: BotPages(directory: configuration.directory, ledger: ledger, projections: projections)),
                         services: services, onServerRunning: onServerRunning)
    }

    /// Releases the HTTP client (after the application stopped).
    public func shutdown() async {
        try? await httpClient.shutdown()
    }

    /// Runs the bot on an ephemeral port for the duration of `body`, then shuts it down
    /// gracefully (the ledger is closed when this returns).
    public static func withRunning<T: Sendable>(_ configuration: BotConfiguration, logger: Logger,
                                                _ body: @Sendable (RunningBot) async throws -> T) async throws -> T {
        var configuration = configuration
        configuration.server.port = 0
        let bot = try await Bot.open(configuration, logger: logger)
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let group = ServiceGroup(configuration: .init(services: [bot.application { continuation.yield($0) }], logger: logger))
        do {
            let result = try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await group.run() }
                var iterator = ports.makeAsyncIterator()
                guard let port = await iterator.next() else { throw CancellationError() }
                do {
                    let result = try await body(RunningBot(bot: bot, port: port))
                    await group.triggerGracefulShutdown()
                    try await tasks.waitForAll()
                    return result
                } catch {
                    await group.triggerGracefulShutdown()
                    try? await tasks.waitForAll()
                    throw error
                }
            }
            await bot.shutdown()
            return result
        } catch {
            await bot.shutdown()
            throw error
        }
    }
}

/// A bot listening on loopback (see ``Bot/withRunning(_:logger:_:)``).
public struct RunningBot: Sendable {
    public let bot: Bot
    public let port: Int

    public var webhookURL: URL { URL(string: "http://127.0.0.1:\(port)/webhooks/chatwoot")! }
    public var ledger: any LedgerStore { bot.ledger }
    public var directory: LedgerDirectory { bot.configuration.directory }

    /// Returns once every event in the ledger is folded and decided and every decided command has
    /// its result — and no new event arrived while checking, ingest has no store on its way (a
    /// delivery answered 500 at its deadline, whose sender may have given up, lands later) and,
    /// on a file ledger, the projection service has started (recorded its version or the pause).
    /// `inFlight` lets the caller add work it knows is coming (e.g. webhooks a simulator is still
    /// delivering). The timeout only
    /// guards against a hang: on a loaded two-core CI machine a turn with retries has taken 20 s.
    public func settle(timeout: Duration = .seconds(60), inFlight: @Sendable () async -> Void = {}) async throws {
        let deadline = ContinuousClock.now + timeout
        var lastHead: Seq = .max
        var pending: [String] = []
        while ContinuousClock.now < deadline {
            await inFlight()
            let head = await ledger.headSeq()
            // A PostgreSQL standby folds nothing (another instance holds the lease): waiting for
            // its projections would never end.
            let started = await bot.projections.hasStarted
            if started || !bot.isShared { await bot.projections.waitUntilApplied(head) }
            // A service that ended cannot settle anything: say so rather than return as if settled.
            if await bot.projections.stopped {
                throw BotStopped(service: "projection service", reason: await bot.projections.failure ?? "it ended without an error: a shutdown, or the lease passed to another instance")
            }
            pending = try await Self.pendingEffects(in: ledger)
            // Read before the head: a store raises the head, then stops counting as storing.
            let storing = bot.ingestIsStoring
            // Until the projection service has started, the head may not hold its version yet
            // (with PostgreSQL it may never start here: another instance holds the lease).
            let now = await ledger.headSeq()
            if pending.isEmpty && head == lastHead && head == now && !storing && (started || bot.isShared) { return }
            lastHead = pending.isEmpty ? head : .max
            try await Task.sleep(for: .milliseconds(25)) // effects and deliveries run elsewhere: poll their combined state
        }
        throw SettleTimeout(timeout: timeout, pending: pending)
    }

    /// Commands decided without a recorded result, read from the ledger, as
    /// `decision-seq:command-index kind`, in decision order.
    public static func pendingEffects(in ledger: any LedgerStore) async throws -> [String] {
        var open: [PendingKey: String] = [:]
        let tail = try ledger.tail(from: 1)
        let head = await ledger.headSeq()
        while tail.nextSeq <= head {
            let events = try await tail.read(through: head, limit: 4096)
            if events.isEmpty { break }
            for event in events {
                if event.type == EventType.decision, let decision = try? Decision.decode(event.body) {
                    for (index, command) in decision.commands.enumerated() { open[PendingKey(decision: event.seq, command: index)] = command.kind }
                } else if event.type == EventType.effectResult, let result = try? EffectResult.decode(event.body) {
                    open[PendingKey(decision: result.decision, command: result.command)] = nil
                }
            }
        }
        return open.sorted { ($0.key.decision, $0.key.command) < ($1.key.decision, $1.key.command) }
            .map { "\($0.key.decision):\($0.key.command) \($0.value)" }
    }

    private struct PendingKey: Hashable {
        var decision: UInt64
        var command: Int
    }
}

/// ``RunningBot/settle(timeout:inFlight:)`` cannot settle: a service the bot needs stopped with an error.
public struct BotStopped: Error, CustomStringConvertible {
    public var service: String
    public var reason: String
    public var description: String { "the bot cannot settle: its \(service) stopped (\(reason))" }
}

public struct SettleTimeout: Error, CustomStringConvertible {
    public var timeout: Duration
    /// The commands still without a result when time ran out (empty: the ledger kept growing).
    public var pending: [String]
    public var description: String {
        pending.isEmpty
            ? "the bot did not settle within \(timeout): new events kept arriving"
            : "the bot did not settle within \(timeout): \(pending.count) decided command(s) without a result: \(pending.prefix(5).joined(separator: ", "))"
    }
}

/// The projections say who owns a conversation now (``ProjectionService/humanOwns(_:knownThrough:)``).
extension ProjectionService: Outbox.Ownership {}
