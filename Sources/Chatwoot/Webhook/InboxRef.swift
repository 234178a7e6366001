/// An `{id, name}` reference to a inbox, as Chatwoot embeds it in payloads.
public struct InboxRef: Sendable, Hashable, Codable {
    public var id: Int?
    public var name: String?

    public init(id: Int?, name: String? = nil) {
        self.id = id
        self.name = name
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.id = container.lenientInt(forKey: .id)
        self.name = container.lenient(forKey: .name)
    }

    enum CodingKeys: String, CodingKey {
        case id, name
    }
}
