import Chatwoot

/// How `ledgerbot serve` listens and checks deliveries. Parsed once, at the edge (CLI + env).
public struct ServerConfiguration: Sendable {
    public var host = "127.0.0.1"
    public var port = 8080
    /// Request bodies larger than this get 413. Most webhooks are a few KiB, but a message may
    /// hold 150,000 characters, and its delivery carries the text up to three times (`content`,
    /// `processed_message_content`, the conversation's last message), escaped: about 2.7 MB at
    /// worst. A 413 on a message event hands the conversation to a human
    /// (docs/chatwoot-protocol.md §3.4, §7.2).
    public static let defaultBodyLimit = 4 << 20
    public var bodyLimit = defaultBodyLimit
    /// A delivery not durable within this is answered 500 (and stored when the ledger catches
    /// up): Chatwoot v4.11.2+ waits 5 s (`WEBHOOK_TIMEOUT`), then hands a message's conversation
    /// to a human, but it retries a 500 (docs/chatwoot-protocol.md §3.3, §3.4). nil waits as long
    /// as the ledger takes: for older Chatwoot versions, which hand off on a 500 too.
    public var acknowledgementDeadline: Duration? = .seconds(4)
    /// Bytes of deliveries that may wait for the ledger at once (each counts its body and
    /// ``IngestBacklog/overhead``); past it a delivery gets 429, which Chatwoot retries. During a
    /// long ledger stall, stores outlive their answered requests, and this bounds what they hold.
    public static let defaultBacklogLimit = 64 << 20
    public var backlogLimit = defaultBacklogLimit
    /// `LEDGERBOT_WEBHOOK_SECRET`: when set, every delivery must carry a valid signature.
    public var webhookSignature: WebhookSignature?
    /// How many recent deliveries are remembered for deduplication (restored from the ledger on start).
    public var deduplicationWindow = 200_000
    /// Serves `POST /bench/noop` (answers 200 without reading the body): the benchmark's reference route.
    public var enableNoopRoute = false
    /// A connection that sends nothing for this long is closed, a request half-way through its
    /// body included: a client that stops mid-upload would otherwise hold the bytes it sent (up
    /// to the body limit, per connection) for ever. Chatwoot sends a whole delivery at once.
    public var idleTimeout: Duration = .seconds(30)
    /// `LEDGERBOT_ADMIN_TOKEN`: without it, pages with customer data answer 404.
    public var adminToken: AdminToken?

    public init() {}
}
