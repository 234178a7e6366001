/// The ledger's event vocabulary. Types are strings in the ledger (stable, readable in
/// exports); code refers to them only through these constants.
public enum EventType {
    /// A webhook as Chatwoot sent it: body = the raw request bytes, meta = ``WebhookMeta``.
    public static let webhookReceived = "webhook.received"
    /// A redelivery of a webhook already stored: empty body, meta names the original seq.
    public static let webhookDuplicate = "webhook.duplicate"
    /// A delivery refused with a 4xx: body = a bounded excerpt, meta = reason and status.
    public static let webhookRejected = "webhook.rejected"
    /// What the reactor decided (commands + explanation), recorded before anything is performed.
    public static let decision = "decision"
    /// The outcome of performing one command of a decision.
    public static let effectResult = "effect.result"
    /// A timer the reactor scheduled, fired.
    public static let timerFired = "timer.fired"
    /// The bot version (policy) in force from this point on; it decides the inputs from the
    /// `decides_from` seq its body names (which may be before it).
    public static let policyActivated = "policy.activated"
    /// No bot version decides from the `from` seq its body names: `serve` ran without a policy
    /// (the bot paused, or recording only).
    public static let policyDeactivated = "policy.deactivated"
}

/// Builds the ledger stream of an event: `"<account>/<conversation>"`.
public enum StreamName {
    public static func conversation(account: Int64?, conversation: Int64?) -> String {
        "\(account.map(String.init) ?? "?")/\(conversation.map(String.init) ?? "-")"
    }
}

/// Members of a `webhook.received` event's meta that ingest writes and other modules read.
/// (Also there: `event`, `dedupe`, `delivery`, `content_type`, `signed_at`.)
public enum WebhookMeta {
    /// The webhook's compact form: the fields of the body the projector reads, in a fixed order.
    public static let compactForm = "digest"
    /// Names the compact form's layout, so a reader can tell whether it can read it.
    public static let compactFormName = "digest_form"
}
