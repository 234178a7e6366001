/// One card of a `cards` message (docs/chatwoot-protocol.md §6). Renders only in the website widget.
///
/// Chatwoot rejects a card without at least one action (HTTP 422). Absent optional fields are
/// left out of the JSON, since the validator accepts only the keys
/// `title description media_url actions`.
public struct Card: Sendable, Hashable {
    public var title: String
    public var description: String?
    public var mediaURL: String?
    public var actions: [CardAction]

    public init(title: String, description: String? = nil, mediaURL: String? = nil, actions: [CardAction]) {
        self.title = title
        self.description = description
        self.mediaURL = mediaURL
        self.actions = actions
    }

    public var jsonValue: JSONValue {
        var object: [String: JSONValue] = ["title": .string(title), "actions": .array(actions.map(\.jsonValue))]
        if let description { object["description"] = .string(description) }
        if let mediaURL { object["media_url"] = .string(mediaURL) }
        return .object(object)
    }
}

/// A button on a ``Card``.
///
/// A `link` opens `uri` in a new tab. A `postback` only fires the browser event
/// `chatwoot:postback` on the host page: **nothing reaches Chatwoot or the bot**.
public enum CardAction: Sendable, Hashable {
    case link(text: String, uri: String)
    case postback(text: String, payload: String)

    public var jsonValue: JSONValue {
        switch self {
        case .link(let text, let uri):
            ["type": "link", "text": .string(text), "uri": .string(uri)]
        case .postback(let text, let payload):
            ["type": "postback", "text": .string(text), "payload": .string(payload)]
        }
    }
}
