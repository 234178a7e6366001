import ArgumentParser
import AsyncHTTPClient
import Effects
import Engine
import ServiceLifecycle
import Chatwoot
import Foundation
import Ledger
import Logging
import Prometheus
import Policy
import Server

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Receive Chatwoot webhooks at POST /webhooks/chatwoot and record them in the ledger.",
        discussion: """
            Secrets come from the environment, never from flags: LEDGERBOT_WEBHOOK_SECRET (the agent \
            bot's secret; when set, unsigned or badly signed deliveries get 401), LEDGERBOT_CHATWOOT_TOKEN \
            (the bot's access token), LEDGERBOT_ADMIN_TOKEN (audit and summary pages).

            Every authentic delivery that is a JSON object is answered 200 once it is durable in the \
            ledger — ignored events and the bot's own echoes too, because any other status on a message \
            event makes Chatwoot hand the conversation to a human. 400: not a JSON object; 401: bad \
            signature; 413: body over --body-limit; 500: the ledger cannot write (Chatwoot retries).
            """
    )

    @OptionGroup var data: DataOptions
    @Option(help: ArgumentHelp("The bot version (policy YAML; `ledgerbot policy check FILE` validates it). Without it, webhooks are recorded and projected but nothing is decided.", valueName: "FILE"))
    var policy: String?
    @Option(help: ArgumentHelp("Base URL of your Chatwoot, e.g. https://chat.example.com.", valueName: "URL"))
    var chatwootURL: String?
    @Option(help: "Address to listen on.") var host = "127.0.0.1"
    @Option(help: "Port to listen on (0 picks a free one and prints it).") var port = 8080
    @Option(help: "Largest accepted webhook body, in bytes.") var bodyLimit = 1 << 20
    @Option(help: "Accepted clock difference for signed deliveries, in seconds.") var signatureTolerance: Int64 = 300
    @Option(help: "fsync (default): acknowledge after fdatasync. none: benchmarks only.") var durability: String = "fsync"
    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.") var logLevel: String = "info"
    @Flag(help: .hidden) var enableNoopRoute = false

    func validate() throws {
        if chatwootURL != nil, (ProcessInfo.processInfo.environment["LEDGERBOT_CHATWOOT_TOKEN"] ?? "").isEmpty {
            throw ValidationError("--chatwoot-url needs the bot's access token in LEDGERBOT_CHATWOOT_TOKEN (Chatwoot: Settings → Agent Bots)")
        }
        guard LedgerConfiguration.Durability(rawValue: durability) != nil else { throw ValidationError("--durability must be fsync or none") }
        guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("--log-level must be one of trace, debug, info, notice, warning, error, critical") }
        guard (0...65535).contains(port) else { throw ValidationError("--port must be 0…65535") }
        if let chatwootURL, URL(string: chatwootURL)?.scheme == nil { throw ValidationError("--chatwoot-url must be a URL such as https://chat.example.com") }
    }

    func run() async throws {
        let level = Logger.Level(rawValue: logLevel) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "ledgerbot")
        let environment = ProcessInfo.processInfo.environment

        var ledgerConfiguration = LedgerConfiguration()
        ledgerConfiguration.durability = LedgerConfiguration.Durability(rawValue: durability) ?? .fsync
        var serverConfiguration = ServerConfiguration()
        serverConfiguration.host = host
        serverConfiguration.port = port
        serverConfiguration.bodyLimit = bodyLimit
        serverConfiguration.enableNoopRoute = enableNoopRoute
        if let secret = environment["LEDGERBOT_WEBHOOK_SECRET"], !secret.isEmpty {
            serverConfiguration.webhookSignature = WebhookSignature(secret: secret, configuration: .init(tolerance: signatureTolerance))
            logger.info("webhook signatures required (LEDGERBOT_WEBHOOK_SECRET is set)")
        } else {
            logger.warning("LEDGERBOT_WEBHOOK_SECRET is not set: accepting unsigned deliveries (Chatwoot before v4.13 sends none); set it to the agent bot's secret to require signatures")
        }

        let botPolicy = try policy.map(loadPolicy)
        try await reportingErrors {
            let (ledger, report) = try FileLedger.open(directory: data.directory, configuration: ledgerConfiguration, logger: logger)
            if let torn = report.truncated { logger.warning("recovered from a crash", metadata: ["ledger.truncated": "\(torn)"]) }
            let registry = PrometheusCollectorRegistry()
            let ingest = WebhookIngest(ledger: ledger, configuration: serverConfiguration,
                                       metrics: IngestMetrics(factory: PrometheusMetricsFactory(registry: registry)), logger: logger)
            let restored = try await ingest.restoreRecentDeliveries(from: data.directory, head: report.headSeq, window: serverConfiguration.deduplicationWindow)
            logger.info("ledger open", metadata: ["ledger.head_seq": "\(report.headSeq)", "ledger.deliveries_remembered": "\(restored)"])
            var services: [any Service] = [LedgerService(ledger: ledger),
                                           try ProjectionService(ledger: ledger, directory: data.directory, policy: botPolicy, logger: logger)]
            let httpClient = HTTPClient(eventLoopGroupProvider: .singleton)
            if let chatwootURL, let token = environment["LEDGERBOT_CHATWOOT_TOKEN"], let url = URL(string: chatwootURL) {
                let api = HTTPChatwootAPI(httpClient: httpClient, baseURL: url, accessToken: token, logger: logger)
                let lookups = HTTPLookupPerformer(httpClient: httpClient, logger: logger)
                services.append(Outbox(ledger: ledger, directory: data.directory, api: api, lookups: lookups,
                                       metrics: OutboxMetrics(factory: PrometheusMetricsFactory(registry: registry)), logger: logger))
                logger.info("performing decisions through Chatwoot", metadata: ["chatwoot.url": "\(chatwootURL)"])
            } else {
                logger.warning("no --chatwoot-url: recording webhooks only, nothing is sent to Chatwoot")
            }
            if botPolicy == nil { logger.warning("no --policy: nothing is decided (webhooks are recorded and projected)") }
            let app = buildApplication(
                configuration: serverConfiguration,
                dependencies: ServerDependencies(ingest: ingest, ledger: ledger, registry: registry, logger: logger),
                services: services,
                onServerRunning: { port in
                    // Scripts and tests wait for this line to learn the port.
                    FileHandleOutput.standardError.write("ledgerbot: listening on http://\(host):\(port)\n")
                }
            )
            do {
                try await app.runService()
            } catch {
                try? await httpClient.shutdown()
                throw error
            }
            try await httpClient.shutdown()
        }
    }
}
