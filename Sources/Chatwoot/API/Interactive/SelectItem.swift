/// One button of an `input_select` message: `{title, value}` (docs/chatwoot-protocol.md §6).
///
/// `title` is shown; `value` comes back in `submitted_values` (widget) or as the message
/// content on Telegram. WhatsApp returns the `title`.
public struct SelectItem: Sendable, Hashable, Codable {
    public var title: String
    public var value: String

    public init(title: String, value: String) {
        self.title = title
        self.value = value
    }

    /// The item exactly as `content_attributes.items[]` expects it.
    public var jsonValue: JSONValue {
        ["title": .string(title), "value": .string(value)]
    }
}
