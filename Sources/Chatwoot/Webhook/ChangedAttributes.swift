/// What changed in a `conversation_updated` / `conversation_status_changed` event
/// (docs/chatwoot-protocol.md §4.8).
///
/// Chatwoot sends an array of single-key objects,
/// `[{"status": {"previous_value": "pending", "current_value": "open"}}, …]`, or `null` (which
/// the enclosing ``WebhookConversation/changedAttributes`` represents as `nil`). A plain object
/// `{"status": {…}, …}` is accepted too. Entries that are not objects are skipped; keys inside one
/// object are taken in sorted order so the result is deterministic.
public struct ChangedAttributes: Sendable, Hashable {
    /// One changed attribute.
    public struct Change: Sendable, Hashable {
        public var attribute: String
        /// `.null` when absent or `null`.
        public var previousValue: JSONValue
        /// `.null` when absent or `null`.
        public var currentValue: JSONValue

        public init(attribute: String, previousValue: JSONValue, currentValue: JSONValue) {
            self.attribute = attribute
            self.previousValue = previousValue
            self.currentValue = currentValue
        }
    }

    public var changes: [Change]

    public init(_ changes: [Change]) {
        self.changes = changes
    }

    /// The change of `attribute`, if it is listed.
    public subscript(attribute: String) -> Change? {
        changes.first { $0.attribute == attribute }
    }

    /// The names of the changed attributes, in payload order.
    public var attributes: [String] {
        changes.map(\.attribute)
    }
}

// MARK: - Codable

extension ChangedAttributes: Codable {
    public init(from decoder: any Decoder) throws {
        let value = try JSONValue(from: decoder)
        switch value {
        case .array(let entries):
            self.changes = entries.flatMap { $0.objectValue.map(Self.changes(in:)) ?? [] }
        case .object(let object):
            self.changes = Self.changes(in: object)
        default:
            throw DecodingError.typeMismatch(
                ChangedAttributes.self,
                .init(codingPath: decoder.codingPath, debugDescription: "Expected an array of objects or an object")
            )
        }
    }

    /// Encodes Chatwoot's array-of-single-key-objects form.
    public func encode(to encoder: any Encoder) throws {
        let entries: [JSONValue] = changes.map { change in
            [change.attribute: ["previous_value": change.previousValue, "current_value": change.currentValue]]
        }
        try JSONValue.array(entries).encode(to: encoder)
    }

    private static func changes(in object: [String: JSONValue]) -> [Change] {
        object.keys.sorted().map { attribute in
            let values = object[attribute] ?? .null
            return Change(
                attribute: attribute,
                previousValue: values["previous_value"] ?? .null,
                currentValue: values["current_value"] ?? .null
            )
        }
    }
}
