/// A customer satisfaction answer, from
/// `submitted_values = {csat_survey_response: {rating, feedback_message}}` (docs/chatwoot-protocol.md §6).
public struct CSATResponse: Sendable, Hashable, Codable {
    /// Usually 1–5.
    public var rating: Int?
    public var feedbackMessage: String?

    public init(rating: Int?, feedbackMessage: String? = nil) {
        self.rating = rating
        self.feedbackMessage = feedbackMessage
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.rating = container.lenientInt(forKey: .rating)
        self.feedbackMessage = container.lenient(forKey: .feedbackMessage)
    }

    enum CodingKeys: String, CodingKey {
        case rating
        case feedbackMessage = "feedback_message"
    }
}
