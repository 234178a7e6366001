/// The customer's answer to an interactive message, read from a `message_updated` event
/// (docs/chatwoot-protocol.md §6, §8). Build it with ``WebhookMessage/submittedAnswer``.
public enum SubmittedAnswer: Sendable, Hashable {
    /// `input_select`: the chosen item.
    case selection(SubmittedValue)
    /// `form`: one `{name, value}` entry per field, in payload order.
    case form([SubmittedValue])
    /// `input_email`: `content_attributes.submitted_email`.
    case email(String)
    /// `input_csat`.
    case csat(CSATResponse)

    /// The answer as one text, following Chatwoot's reference bot: `submitted_values[0].value`
    /// for selections and forms, the address for `input_email`, the rating for CSAT.
    public var text: String? {
        switch self {
        case .selection(let value): value.value ?? value.title
        case .form(let values): values.first?.value
        case .email(let email): email
        case .csat(let response): response.rating.map(String.init)
        }
    }

    /// Form answers as `name → value`; entries without a name are left out and a repeated name
    /// keeps its last value. Empty for other answers.
    public var formValues: [String: String] {
        guard case .form(let values) = self else { return [:] }
        var result: [String: String] = [:]
        for entry in values {
            if let name = entry.name { result[name] = entry.value ?? "" }
        }
        return result
    }
}
