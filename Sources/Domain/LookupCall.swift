import Chatwoot

/// One HTTP call to a company system, rendered by the reactor from a policy lookup and recorded
/// in the decision before it is performed.
///
/// Secrets and deployment addresses stay out of the ledger: `url`, `headers` and `body` may hold
/// `${NAME}` references that only the effect runner expands, from its environment.
public struct LookupCall: Sendable, Hashable, Codable {
    /// The lookup's name in the policy, e.g. `order_status`.
    public var name: String
    public var method: String
    public var url: String
    public var headers: [String: String]
    public var body: String?
    public var timeoutMilliseconds: Int
    /// Result field → path in the JSON answer (`shipment.eta`, `items`, `items.0.title`).
    public var extract: [String: String]
    /// Statuses that mean "no such record" rather than an error (default: 404).
    public var notFound: [Int]
    /// Sent as `Idempotency-Key` on actions; derived from the deciding event, so a resend after
    /// a crash is recognised by the backend.
    public var idempotencyKey: String?
    /// An opaque label the reactor reads back from the answer (e.g. which monitoring rule asked).
    public var tag: String?

    public init(name: String, method: String = "GET", url: String, headers: [String: String] = [:], body: String? = nil,
                timeoutMilliseconds: Int = 5000, extract: [String: String] = [:], notFound: [Int] = [404], idempotencyKey: String? = nil,
                tag: String? = nil) {
        self.tag = tag
        self.name = name
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeoutMilliseconds = timeoutMilliseconds
        self.extract = extract
        self.notFound = notFound
        self.idempotencyKey = idempotencyKey
    }

    /// GET and HEAD only read: safe to retry, and to perform during a what-if replay.
    public var isReadOnly: Bool { method == "GET" || method == "HEAD" }

    enum CodingKeys: String, CodingKey {
        case name, method, url, headers, body, extract, tag
        case timeoutMilliseconds = "timeout_ms"
        case notFound = "not_found"
        case idempotencyKey = "idempotency_key"
    }
}

/// The recorded answer of a lookup, in ``EffectResult/data``:
/// `{"lookup": "order_status", "found": true, "fields": {…}, "tag": …}`.
public struct LookupAnswer: Sendable, Hashable {
    /// ``LookupCall/name``.
    public var lookup: String
    /// ``LookupCall/tag``.
    public var tag: String?
    /// False when the system answered one of the call's ``LookupCall/notFound`` statuses.
    public var found: Bool
    /// The extracted fields (absent paths are left out).
    public var fields: [String: JSONValue]

    public init(lookup: String, found: Bool, fields: [String: JSONValue] = [:], tag: String? = nil) {
        self.lookup = lookup
        self.found = found
        self.fields = fields
        self.tag = tag
    }

    public var jsonValue: JSONValue {
        var object: [String: JSONValue] = ["lookup": .string(lookup), "found": .bool(found), "fields": .object(fields)]
        if let tag { object["tag"] = .string(tag) }
        return .object(object)
    }

    public init?(_ value: JSONValue?) {
        guard let value, let lookup = value["lookup"]?.stringValue, let found = value["found"]?.boolValue else { return nil }
        self.init(lookup: lookup, found: found, fields: value["fields"]?.objectValue ?? [:], tag: value["tag"]?.stringValue)
    }
}
