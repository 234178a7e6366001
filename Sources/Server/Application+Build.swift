import Foundation
import Hummingbird
import Ledger
import Logging
import NIOCore
import Prometheus
import ServiceLifecycle

/// Everything the HTTP layer needs, assembled by `ledgerbot serve` (or a test).
public struct ServerDependencies: Sendable {
    public var ingest: WebhookIngest
    public var ledger: any LedgerStore
    public var registry: PrometheusCollectorRegistry
    public var logger: Logger
    /// Audit and summary pages (nil: not served).
    public var pages: (any AdminPages)?

    public init(ingest: WebhookIngest, ledger: any LedgerStore, registry: PrometheusCollectorRegistry, logger: Logger,
                pages: (any AdminPages)? = nil) {
        self.pages = pages
        self.ingest = ingest
        self.ledger = ledger
        self.registry = registry
        self.logger = logger
    }
}

/// Builds the Hummingbird application: the webhook route, `/healthz`, `/metrics`.
///
/// - Parameters:
///   - services: run in the application's service group before the server (for example the
///     ledger's own service); graceful shutdown stops the server first, then them in reverse.
///   - onServerRunning: called with the bound port (tests listen on port 0).
public func buildApplication(
    configuration: ServerConfiguration,
    dependencies: ServerDependencies,
    services: [any Service] = [],
    onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
) -> some ApplicationProtocol {
    let router = Router()
    let webhooks = WebhookController(ingest: dependencies.ingest, bodyLimit: configuration.bodyLimit)
    router.post("/webhooks/chatwoot", use: webhooks.receive)
    router.get("/healthz") { _, _ in await health(dependencies.ledger) }
    router.get("/metrics") { _, _ in
        Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                 body: .init(byteBuffer: ByteBuffer(bytes: dependencies.registry.emitToBuffer())))
    }
    AdminController(pages: dependencies.pages, token: configuration.adminToken).register(on: router)
    if configuration.enableNoopRoute {
        router.post("/bench/noop") { _, _ in HTTPResponse.Status.ok }
    }
    return Application(
        router: router,
        server: .http1(configuration: .init(idleTimeout: TimeAmount(configuration.idleTimeout))),
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "ledgerbot"),
        services: services,
        onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? configuration.port) },
        logger: dependencies.logger
    )
}

private func health(_ ledger: any LedgerStore) async -> Response {
    let head = await ledger.headSeq()
    let health = await ledger.health()
    let writable = health.writable
    let lastAppendAge = health.secondsSinceLastAppend
    var body = "{\"status\":\"\(writable ? "ok" : "failing")\",\"ledger\":{\"writable\":\(writable),\"head_seq\":\(head)"
    if let lastAppendAge { body += ",\"last_append_age_seconds\":\(String(format: "%.3f", lastAppendAge))" }
    body += "}}"
    return Response(status: writable ? .ok : .serviceUnavailable, headers: [.contentType: "application/json"],
                    body: .init(byteBuffer: ByteBuffer(string: body)))
}
