/// `content_attributes.submitted_values` of an interactive message (docs/chatwoot-protocol.md §6).
///
/// Two shapes exist: an array of ``SubmittedValue`` for `input_select` and `form`, and an object
/// `{csat_survey_response: {…}}` for `input_csat`.
public enum SubmittedValues: Sendable, Hashable {
    case values([SubmittedValue])
    case csat(CSATResponse)

    /// Parses either shape; `nil` for anything else. Array entries that are not objects are skipped.
    public init?(json: JSONValue) {
        switch json {
        case .array(let entries):
            self = .values(entries.compactMap(SubmittedValue.init(json:)))
        case .object(let object):
            guard case .object(let csat)? = object["csat_survey_response"] else { return nil }
            let rating = csat["rating"]?.intValue ?? csat["rating"]?.stringValue.flatMap { Int($0) }
            self = .csat(CSATResponse(rating: rating, feedbackMessage: csat["feedback_message"]?.scalarText))
        default:
            return nil
        }
    }

    /// The array entries; empty for a CSAT answer.
    public var entries: [SubmittedValue] {
        if case .values(let values) = self { return values }
        return []
    }

    /// `submitted_values[0].value`: what Chatwoot's reference bot uses as the answer text (§8).
    public var firstValue: String? {
        entries.first?.value
    }
}

// MARK: - Codable

extension SubmittedValues: Codable {
    public init(from decoder: any Decoder) throws {
        guard let value = SubmittedValues(json: try JSONValue(from: decoder)) else {
            throw DecodingError.typeMismatch(
                SubmittedValues.self,
                .init(codingPath: decoder.codingPath, debugDescription: "Expected an array or {csat_survey_response}")
            )
        }
        self = value
    }

    public func encode(to encoder: any Encoder) throws {
        switch self {
        case .values(let values):
            try values.encode(to: encoder)
        case .csat(let response):
            var container = encoder.container(keyedBy: AnyCodingKey.self)
            try container.encode(response, forKey: AnyCodingKey("csat_survey_response"))
        }
    }
}
