import ArgumentParser
import AsyncHTTPClient
import Effects
import Engine
import ServiceLifecycle
import Chatwoot
import Foundation
import HTTPSupport
import Ledger
import Logging
import Prometheus
import Policy
import PostgresLedger
import Server
import BotRuntime

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
            signature; 413: body over --body-limit; 500: the ledger cannot write, or not within --ack-deadline; \
            429: deliveries still waiting for a stalled ledger fill --backlog-limit (Chatwoot v4.11.2+ retries 500 and 429).

            Several instances: give each the same --ledger postgres://… (password in PGPASSWORD) and \
            its own --data directory (its projections). Every instance ingests webhooks; one at a \
            time holds the reactor lease and decides and sends; when it dies another takes over \
            within a couple of seconds.
            """
    )

    @OptionGroup var data: DataOptions
    @Option(help: ArgumentHelp("Keep the ledger in PostgreSQL, shared by several instances: postgres://USER@HOST:PORT/DATABASE[?sslmode=…] (password from PGPASSWORD). --data then holds only this instance's projections.", valueName: "URL"))
    var ledger: String?
    @Option(help: ArgumentHelp("The bot version (policy YAML; `ledgerbot policy check FILE` validates it). Without it, webhooks are recorded and projected but nothing is decided: a pause (policy.deactivated), whose messages a version started later leaves unanswered.", valueName: "FILE"))
    var policy: String?
    @Option(help: ArgumentHelp("Base URL of your Chatwoot, e.g. https://chat.example.com.", valueName: "URL"))
    var chatwootURL: String?
    @Option(help: "Address to listen on.") var host = "127.0.0.1"
    @Option(help: "Port to listen on (0 picks a free one and prints it).") var port = 8080
    @Option(help: "Largest accepted webhook body, in bytes (a 150,000-character message arrives as up to 2.7 MB).")
    var bodyLimit = ServerConfiguration.defaultBodyLimit
    @Option(help: "Accepted clock difference for signed deliveries, in seconds.") var signatureTolerance: Int64 = 300
    @Option(help: "Seconds a delivery may take to become durable; a later one is answered 500, which Chatwoot v4.11.2+ retries (it waits 5 s, WEBHOOK_TIMEOUT, then hands the conversation to a human). 0: wait as long as the ledger takes (Chatwoot before v4.11.2 hands off on a 500 too).")
    var ackDeadline = 4.0
    @Option(help: "Bytes of deliveries that may wait for the ledger at once (their bodies, plus 1 KiB each; at least --body-limit); past it a delivery is answered 429, which Chatwoot v4.11.2+ retries twice, about 3 s apart (older versions hand off at once). Bounds what a stalled disk makes the server hold.")
    var backlogLimit = ServerConfiguration.defaultBacklogLimit
    @Option(help: ArgumentHelp("Seconds after its decision a message for the customer may still be sent; an older one (the outbox was down or --chatwoot-url absent meanwhile, retries outlasting it) is recorded failed, not sent an hour late. Private notes and status changes are sent however late. 0: no limit.", valueName: "SECONDS"))
    var maxMessageAge = 3600
    @Option(help: "fsync (default): acknowledge after fdatasync. none: benchmarks only.") var durability: String = "fsync"
    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.") var logLevel: String = "info"
    @Flag(help: .hidden) var enableNoopRoute = false

    func validate() throws {
        if ProcessInfo.processInfo.environment["LEDGERBOT_WEBHOOK_SECRET"]?.allSatisfy(\.isWhitespace) == true {
            // Set but empty — often an undefined `${VAR}` in a deployment file: not "accept unsigned deliveries".
            throw ValidationError("LEDGERBOT_WEBHOOK_SECRET is set but empty: set it to the agent bot's secret (Chatwoot v4.13+), or unset it to accept unsigned deliveries")
        }
        if chatwootURL != nil, (ProcessInfo.processInfo.environment["LEDGERBOT_CHATWOOT_TOKEN"] ?? "").isEmpty {
            throw ValidationError("--chatwoot-url needs the bot's access token in LEDGERBOT_CHATWOOT_TOKEN (Chatwoot: Settings → Agent Bots)")
        }
        guard LedgerConfiguration.Durability(rawValue: durability) != nil else { throw ValidationError("--durability must be fsync or none") }
        guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("--log-level must be one of trace, debug, info, notice, warning, error, critical") }
        guard (0...65535).contains(port) else { throw ValidationError("--port must be 0…65535") }
        guard maxMessageAge >= 0 else { throw ValidationError("--max-message-age must be 0 (no limit) or a number of seconds, 3600 by default") }
        guard ackDeadline == 0 || (0.1...3600).contains(ackDeadline) else {
            throw ValidationError("--ack-deadline must be 0 (off) or 0.1…3600 seconds; keep it below Chatwoot's WEBHOOK_TIMEOUT (5 s by default)")
        }
        guard backlogLimit >= bodyLimit else {
            throw ValidationError("--backlog-limit (\(backlogLimit)) must be at least --body-limit (\(bodyLimit)), so that the largest delivery fits beside others; the default is \(ServerConfiguration.defaultBacklogLimit)")
        }
        if let ledger {
            guard PostgresLocation.isPostgresURL(ledger) else { throw ValidationError("--ledger takes a postgres:// URL (the file ledger lives under --data)") }
            do { _ = try PostgresLocation(url: ledger) } catch { throw ValidationError("--ledger: \(error)") }
        }
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

        var serverConfiguration = ServerConfiguration()
        serverConfiguration.host = host
        serverConfiguration.port = port
        serverConfiguration.bodyLimit = bodyLimit
        serverConfiguration.acknowledgementDeadline = ackDeadline == 0 ? nil : .milliseconds(Int64((ackDeadline * 1000).rounded()))
        serverConfiguration.backlogLimit = backlogLimit
        serverConfiguration.enableNoopRoute = enableNoopRoute
        if let secret = environment["LEDGERBOT_WEBHOOK_SECRET"], !secret.isEmpty {
            serverConfiguration.webhookSignature = WebhookSignature(secret: secret, configuration: .init(tolerance: signatureTolerance))
            logger.info("webhook signatures required (LEDGERBOT_WEBHOOK_SECRET is set)")
        } else {
            logger.warning("LEDGERBOT_WEBHOOK_SECRET is not set: accepting unsigned deliveries (Chatwoot before v4.13 sends none); set it to the agent bot's secret to require signatures")
        }

        if let token = environment["LEDGERBOT_ADMIN_TOKEN"], !token.isEmpty {
            serverConfiguration.adminToken = AdminToken(token)
        } else {
            logger.notice("LEDGERBOT_ADMIN_TOKEN is not set: the audit and summary pages are disabled")
        }
        var configuration = BotConfiguration(directory: data.directory, policy: try policy.map(loadPolicy))
        configuration.ledger.durability = LedgerConfiguration.Durability(rawValue: durability) ?? .fsync
        if let ledger { configuration.backend = .postgres(try PostgresLocation(url: ledger)) }
        configuration.server = serverConfiguration
        configuration.outbox.maximumMessageAge = maxMessageAge == 0 ? nil : .seconds(maxMessageAge)
        // Lookups may name any variable but the bot's own secrets.
        configuration.lookupVariables = environment.filter { !$0.key.hasPrefix("LEDGERBOT_") }
        if let chatwootURL, let token = environment["LEDGERBOT_CHATWOOT_TOKEN"], let url = URL(string: chatwootURL) {
            configuration.chatwoot = .init(baseURL: url, accessToken: token)
            logger.info("performing decisions through Chatwoot", metadata: ["chatwoot.url": "\(url.redactedForDescription)"])
        } else {
            logger.warning("no --chatwoot-url: recording webhooks only, nothing is sent to Chatwoot")
        }
        if configuration.policy == nil { logger.warning("no --policy: nothing is decided (webhooks are recorded and projected)") }
        try await reportingErrors {
            let bot = try await Bot.open(configuration, logger: logger)
            let host = self.host
            let app = bot.application { port in
                // Scripts and tests wait for this line to learn the port.
                FileHandleOutput.standardError.write("ledgerbot: listening on http://\(host):\(port)\n")
            }
            do {
                try await app.runService()
            } catch {
                await bot.shutdown()
                throw error
            }
            await bot.shutdown()
        }
    }
}
