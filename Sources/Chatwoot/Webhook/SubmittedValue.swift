/// One entry of `content_attributes.submitted_values` (docs/chatwoot-protocol.md §6).
///
/// `input_select` answers carry `{title, value}` (the chosen item); `form` answers carry
/// `{name, value}` (one per field). A number or boolean `value` is kept as its JSON text.
public struct SubmittedValue: Sendable, Hashable, Codable {
    public var title: String?
    public var name: String?
    public var value: String?

    public init(title: String? = nil, name: String? = nil, value: String?) {
        self.title = title
        self.name = name
        self.value = value
    }

    /// The entry for a JSON object, or `nil` if `json` is not an object.
    public init?(json: JSONValue) {
        guard case .object(let object) = json else { return nil }
        self.title = object["title"]?.scalarText
        self.name = object["name"]?.scalarText
        self.value = object["value"]?.scalarText
    }

    public init(from decoder: any Decoder) throws {
        guard let value = SubmittedValue(json: try JSONValue(from: decoder)) else {
            throw DecodingError.typeMismatch(
                SubmittedValue.self,
                .init(codingPath: decoder.codingPath, debugDescription: "Expected an object")
            )
        }
        self = value
    }
}
