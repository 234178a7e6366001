import CoreMetrics
import Foundation

/// The ingest side's metrics, created from an injected factory (no global bootstrap in
/// libraries; tests use their own registry). Counters are created once per label set and
/// cached: creating one goes through the factory's registry lock on every request otherwise.
public final class IngestMetrics: Sendable {
    private let factory: any MetricsFactory
    private let appendLatency: CoreMetrics.Timer
    let duplicates: Counter
    /// Deliveries answered 500 because they were not durable within the acknowledgement deadline
    /// (each is also counted in `ledgerbot_webhooks_total` once its store ends).
    let late: Counter
    private let counters = CounterCache()

    public init(factory: any MetricsFactory) {
        self.factory = factory
        appendLatency = CoreMetrics.Timer(label: "ledgerbot_ledger_append_seconds", dimensions: [], preferredDisplayUnit: .seconds, factory: factory)
        duplicates = Counter(label: "ledgerbot_webhook_duplicates_total", dimensions: [], factory: factory)
        late = Counter(label: "ledgerbot_webhook_late_total", dimensions: [], factory: factory)
    }

    /// Counts one request by event name and outcome (`stored`, `duplicate`, `rejected`, `failed`)
    /// once its store has ended, or `busy` when the backlog refused it. A request answered 500 at
    /// the deadline counts by how its store ended; a retry is another request.
    func delivered(event: String, outcome: String) {
        counters.counter("ledgerbot_webhooks_total", [("event", Self.boundedEvent(event)), ("outcome", outcome)], factory).increment()
    }

    func rejected(reason: String) {
        counters.counter("ledgerbot_webhook_rejections_total", [("reason", reason)], factory).increment()
    }

    func appended(seconds: Double) { appendLatency.recordSeconds(seconds) }

    /// Event names come from the network: keep label cardinality bounded.
    private static let knownEvents: Set<String> = [
        "message_created", "message_updated", "conversation_opened", "conversation_resolved",
        "conversation_status_changed", "conversation_updated", "webwidget_triggered",
    ]
    static func boundedEvent(_ event: String) -> String { knownEvents.contains(event) ? event : "other" }
}

/// Counters by label and dimensions, created on first use.
final class CounterCache: @unchecked Sendable {
    // `cache` is only touched under `lock`.
    private let lock = NSLock()
    private var cache: [String: Counter] = [:]

    func counter(_ label: String, _ dimensions: [(String, String)], _ factory: any MetricsFactory) -> Counter {
        let key = label + dimensions.map { "|\($0.0)=\($0.1)" }.joined()
        return lock.withLock {
            if let counter = cache[key] { return counter }
            let counter = Counter(label: label, dimensions: dimensions, factory: factory)
            cache[key] = counter
            return counter
        }
    }
}
