import Chatwoot

/// How `ledgerbot serve` listens and checks deliveries. Parsed once, at the edge (CLI + env).
public struct ServerConfiguration: Sendable {
    public var host = "127.0.0.1"
    public var port = 8080
    /// Request bodies larger than this get 413 (Chatwoot's webhooks are a few KiB).
    public var bodyLimit = 1 << 20
    /// `LEDGERBOT_WEBHOOK_SECRET`: when set, every delivery must carry a valid signature.
    public var webhookSignature: WebhookSignature?
    /// How many recent deliveries are remembered for deduplication (restored from the ledger on start).
    public var deduplicationWindow = 200_000
    /// Serves `POST /bench/noop` (answers 200 without reading the body): the benchmark's reference route.
    public var enableNoopRoute = false
    /// `LEDGERBOT_ADMIN_TOKEN`: without it, pages with customer data answer 404.
    public var adminToken: AdminToken?

    public init() {}
}
