import Crypto
import JSONScan
import Ledger

/// The few facts ingest needs from a raw webhook body, found by scanning (not decoding) it:
/// the event name, where it belongs, and a content key for deduplicating deliveries that carry
/// no `X-Chatwoot-Delivery` header (Chatwoot before v4.13).
public struct WebhookFacts: Sendable, Equatable {
    public var event: String?
    public var account: Int64?
    public var conversation: Int64?
    /// Where the fields that identify one delivery are (see ``contentKey(body:)``).
    private var identifying: [Range<Int>?] = []

    /// Scans `body`. - Throws: ``JSONScanner/Error`` unless `body` is a JSON object.
    public init(body: UnsafeRawBufferPointer) throws(JSONScanner.Error) {
        let root = try JSONObjectView(validating: body)
        event = root.string("event")
        switch event {
        case "message_created", "message_updated":
            account = root.object("account")?.int("id").map(Int64.init)
            conversation = root.object("conversation")?.int("id").map(Int64.init)
        case "webwidget_triggered":
            account = root.object("account")?.int("id").map(Int64.init)
            conversation = root.object("current_conversation")?.int("id").map(Int64.init)
        default:
            // Conversation payloads carry no account; the last message (push shape) does when present.
            conversation = root.int("id").map(Int64.init)
            account = root.firstElement("messages").flatMap(root.object(at:))?.int("account_id").map(Int64.init)
        }
        identifying = Self.identifyingKeys.map(root.range)
    }

    /// Retries re-send the same payload; these fields identify one delivery of one event. Not
    /// the whole body: Chatwoot reloads records embedded in it when a retry runs (the contact
    /// inbox), so a retry may differ in those. A message payload has no top-level `status` or
    /// `updated_at`, so its own fields are here: an edited message (`content`) is a new delivery.
    private static let identifyingKeys = ["event", "id", "status", "updated_at", "content_attributes", "event_info", "changed_attributes", "source_id",
                                          "content", "content_type", "message_type", "private"]

    /// `c:` + SHA-256 of the fields that stay equal across Chatwoot's retries of one delivery —
    /// the dedupe key when a delivery carries no `X-Chatwoot-Delivery` (Chatwoot before v4.13).
    /// - Parameter body: the bytes these facts were scanned from.
    public func contentKey(body: UnsafeRawBufferPointer) -> String {
        var hasher = SHA256()
        for (key, range) in zip(Self.identifyingKeys, identifying) {
            hasher.update(data: Array(key.utf8) + [0])
            if let range { hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: body[range])) }
            hasher.update(data: [0])
        }
        return "c:" + Array(hasher.finalize()).hexString
    }
}
