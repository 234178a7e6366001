import AsyncHTTPClient
import Chatwoot
import Foundation
import Hummingbird
import Ledger
import LedgerbotTesting
import Logging
import NIOCore
import Prometheus
import Server
import ServiceLifecycle

/// A real `serve` stack (FileLedger + Hummingbird on 127.0.0.1:0) for one test.
struct ServerHarness {
    let port: Int
    let ledger: FileLedger
    let registry: PrometheusCollectorRegistry
    let client: HTTPClient

    struct Reply {
        var status: Int
        var body: String
    }

    func post(_ body: [UInt8], headers: [String: String] = ["Content-Type": "application/json"], path: String = "/webhooks/chatwoot") async throws -> Reply {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)")
        request.method = .POST
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        request.body = .bytes(ByteBuffer(bytes: body))
        let response = try await client.execute(request, timeout: .seconds(60))
        let bytes = try await response.body.collect(upTo: 1 << 20)
        return Reply(status: Int(response.status.code), body: String(buffer: bytes))
    }

    func get(_ path: String) async throws -> Reply {
        let response = try await client.execute(HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)"), timeout: .seconds(60))
        return Reply(status: Int(response.status.code), body: String(buffer: try await response.body.collect(upTo: 1 << 20)))
    }

    /// Starts the stack over `directory`, runs `body`, then shuts down gracefully (closing the ledger).
    /// `ingestLedger` may wrap the file ledger that ingest writes to (a test that stalls it);
    /// `compactForm` is what `serve` records beside each webhook (none by default).
    static func with<T: Sendable>(
        directory: LedgerDirectory,
        configuration: ServerConfiguration = ServerConfiguration(),
        now: @escaping @Sendable () -> Date = Date.init,
        extraServices: (FileLedger) -> [any Service] = { _ in [] },
        ingestLedger: (FileLedger) -> any LedgerStore = { $0 },
        compactForm: WebhookCompactForm? = nil,
        pages: (any AdminPages)? = nil,
        _ body: @Sendable (ServerHarness) async throws -> T
    ) async throws -> T {
        var configuration = configuration
        configuration.port = 0
        let (ledger, report) = try FileLedger.open(directory: directory)
        let registry = PrometheusCollectorRegistry()
        let logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
        let ingest = WebhookIngest(ledger: ingestLedger(ledger), configuration: configuration,
                                   metrics: IngestMetrics(factory: PrometheusMetricsFactory(registry: registry)), logger: logger, now: now,
                                   compactForm: compactForm)
        _ = try await ingest.restoreRecentDeliveries(head: report.headSeq, window: configuration.deduplicationWindow)
        let (portStream, portContinuation) = AsyncStream<Int>.makeStream()
        let app = buildApplication(configuration: configuration,
                                   dependencies: ServerDependencies(ingest: ingest, ledger: ledger, registry: registry, logger: logger, pages: pages),
                                   services: [LedgerService(ledger: ledger)] + extraServices(ledger),
                                   onServerRunning: { portContinuation.yield($0) })
        let group = ServiceGroup(configuration: .init(services: [app], logger: logger))
        return try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            var ports = portStream.makeAsyncIterator()
            guard let port = await ports.next() else { throw CancellationError() }
            // As many connections as the racing tests send at once (the default soft limit of 8
            // queues the rest), and deadlines that hold when the whole suite loads the machine.
            var clientConfiguration = HTTPClient.Configuration()
            clientConfiguration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = 32
            let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: clientConfiguration)
            let harness = ServerHarness(port: port, ledger: ledger, registry: registry, client: client)
            do {
                let result = try await body(harness)
                try await client.shutdown()
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
                return result
            } catch {
                try? await client.shutdown()
                await group.triggerGracefulShutdown()
                try? await tasks.waitForAll()
                throw error
            }
        }
    }
}

extension TemporaryDirectory {
    var ledgerDirectory: LedgerDirectory { LedgerDirectory(dataPath: path + "/data") }
}

func readLedger(_ directory: LedgerDirectory) throws -> [LedgerEvent] {
    let cursor = try LedgerCursor(directory: directory)
    var events: [LedgerEvent] = []
    while let event = try cursor.next() { events.append(event) }
    return events
}

let webhookFixtures = [
    "webhook-message_created-incoming.json", "webhook-message_created-outgoing.json",
    "webhook-message_updated-form-submitted.json", "webhook-message_updated-input_select-submitted.json",
    "webhook-webwidget_triggered.json", "webhook-conversation_status_changed.json", "webhook-conversation_opened.json",
    "webhook-conversation_updated.json", "webhook-conversation_resolved.json",
]
