/// One link of an `article` message: `{title, description, link}` (docs/chatwoot-protocol.md §6).
/// Renders only in the website widget.
public struct ArticleItem: Sendable, Hashable {
    public var title: String
    public var description: String?
    public var link: String

    public init(title: String, description: String? = nil, link: String) {
        self.title = title
        self.description = description
        self.link = link
    }

    public var jsonValue: JSONValue {
        var object: [String: JSONValue] = ["title": .string(title), "link": .string(link)]
        if let description { object["description"] = .string(description) }
        return .object(object)
    }
}
