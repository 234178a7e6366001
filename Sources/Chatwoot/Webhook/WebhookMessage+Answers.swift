extension WebhookMessage {
    /// `content_attributes.submitted_values`, in either of its shapes; `nil` when absent or unreadable.
    public var submittedValues: SubmittedValues? {
        contentAttributes?["submitted_values"].flatMap(SubmittedValues.init(json:))
    }

    /// `content_attributes.submitted_email` of an answered `input_email`; `nil` when absent or empty.
    public var submittedEmail: String? {
        guard let email = contentAttributes?["submitted_email"]?.stringValue, !email.isEmpty else { return nil }
        return email
    }

    /// The customer's answer carried by this (updated) interactive message, or `nil` if it has none.
    ///
    /// Widget answers arrive as `message_updated` on the bot's own outgoing message (docs/chatwoot-protocol.md §6).
    /// The `content_type` decides how the attributes are read; for an unknown content type the
    /// shape decides (CSAT object, `submitted_email`, entries with `name` → form, else selection).
    /// Later delivery-status updates re-send the same attributes: deduplicate by message ``id``.
    public var submittedAnswer: SubmittedAnswer? {
        let values = submittedValues
        switch contentType {
        case .inputEmail?:
            return submittedEmail.map(SubmittedAnswer.email)
        case .inputSelect?:
            return values?.entries.first.map(SubmittedAnswer.selection)
        case .form?:
            guard let entries = values?.entries, !entries.isEmpty else { return nil }
            return .form(entries)
        case .inputCSAT?:
            if case .csat(let response)? = values { return .csat(response) }
            return nil
        default:
            switch values {
            case .csat(let response)?:
                return .csat(response)
            case .values(let entries)? where !entries.isEmpty:
                return entries.count > 1 || entries.contains { $0.name != nil }
                    ? .form(entries) : .selection(entries[0])
            default:
                return submittedEmail.map(SubmittedAnswer.email)
            }
        }
    }
}
