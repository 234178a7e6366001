import CoreMetrics

/// Outbox metrics, from an injected factory.
public struct OutboxMetrics: Sendable {
    private let factory: any MetricsFactory
    let depth: Gauge

    public init(factory: any MetricsFactory) {
        self.factory = factory
        depth = Gauge(label: "ledgerbot_outbox_depth", dimensions: [], factory: factory)
    }

    /// One Chatwoot call attempt: latency by endpoint, count by endpoint and status.
    func call(_ kind: String, status: Int?, seconds: Double) {
        CoreMetrics.Timer(label: "ledgerbot_chatwoot_call_seconds", dimensions: [("command", kind)], preferredDisplayUnit: .seconds, factory: factory)
            .recordSeconds(seconds)
        Counter(label: "ledgerbot_chatwoot_calls_total", dimensions: [("command", kind), ("status", status.map(String.init) ?? "transport")], factory: factory)
            .increment()
    }

    func result(_ outcome: String) {
        Counter(label: "ledgerbot_effects_total", dimensions: [("outcome", outcome)], factory: factory).increment()
    }
}
