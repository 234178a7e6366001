import CoreMetrics
import Foundation

/// The ingest side's metrics, created from an injected factory (no global bootstrap in
/// libraries; tests use their own registry).
public struct IngestMetrics: Sendable {
    private let factory: any MetricsFactory
    private let appendLatency: CoreMetrics.Timer
    let duplicates: Counter

    public init(factory: any MetricsFactory) {
        self.factory = factory
        appendLatency = CoreMetrics.Timer(label: "ledgerbot_ledger_append_seconds", dimensions: [], preferredDisplayUnit: .seconds, factory: factory)
        duplicates = Counter(label: "ledgerbot_webhook_duplicates_total", dimensions: [], factory: factory)
    }

    /// Counts one delivery by event name and outcome (`stored`, `duplicate`, `rejected`, `failed`).
    func delivered(event: String, outcome: String) {
        Counter(label: "ledgerbot_webhooks_total", dimensions: [("event", Self.boundedEvent(event)), ("outcome", outcome)], factory: factory).increment()
    }

    func rejected(reason: String) {
        Counter(label: "ledgerbot_webhook_rejections_total", dimensions: [("reason", reason)], factory: factory).increment()
    }

    func appended(seconds: Double) { appendLatency.recordSeconds(seconds) }

    /// Event names come from the network: keep label cardinality bounded.
    private static let knownEvents: Set<String> = [
        "message_created", "message_updated", "conversation_opened", "conversation_resolved",
        "conversation_status_changed", "conversation_updated", "webwidget_triggered",
    ]
    static func boundedEvent(_ event: String) -> String { knownEvents.contains(event) ? event : "other" }
}
