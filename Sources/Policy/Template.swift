import Chatwoot
import Mustache

/// A Mustache template from the policy, rendered as plain text (chat messages are not HTML, so
/// nothing is escaped). Values come from a ``TemplateContext``.
public struct Template: Sendable {
    public let source: String
    private let compiled: MustacheTemplate
    /// Chat messages are plain text: nothing is HTML-escaped.
    static let pragma = "{{% CONTENT_TYPE: TEXT}}"

    /// - Throws: the parser's error when `source` is not a valid Mustache template.
    public init(_ source: String) throws {
        self.source = source
        compiled = try MustacheTemplate(string: Self.pragma + source)
    }

    public func render(_ context: TemplateContext) -> String {
        compiled.render(context.mustacheValue)
    }

    /// Names under `slots.` the template refers to (checked against the declared slots).
    var slotReferences: [String] {
        var names: [String] = []
        var rest = Substring(source)
        while let open = rest.range(of: "{{") {
            rest = rest[open.upperBound...]
            guard let close = rest.range(of: "}}") else { break }
            var tag = rest[..<close.lowerBound].drop { "#^/&{! ".contains($0) }
            if tag.hasPrefix("slots.") {
                tag = tag.dropFirst("slots.".count)
                names.append(String(tag.prefix { $0.isLetter || $0.isNumber || $0 == "_" }))
            }
            rest = rest[close.upperBound...]
        }
        return names
    }
}

/// The values templates can use, as JSON:
///
/// - `contact`: `name`, `first_name`, `email`, `phone`
/// - `slots`: every slot by name (contact-scoped slots without their `contact.` prefix)
/// - `result`: the fields of the lookup that was just answered
/// - `lookups`: every remembered lookup answer by name (`lookups.order_status.status`)
/// - `intent`: `name`, `confidence`; `message`: the customer's text; `hours`: business hours
/// - `rating`: a CSAT rating
public struct TemplateContext: Sendable {
    public var values: [String: JSONValue]

    public init(_ values: [String: JSONValue] = [:]) {
        self.values = values
    }

    public subscript(key: String) -> JSONValue? {
        get { values[key] }
        set { values[key] = newValue }
    }

    /// The value at a dotted path (`result.items`, `slots.topic`).
    public func value(at path: String) -> JSONValue? {
        JSONValue.object(values).value(atPath: path)
    }

    /// A copy where `item`'s members (when it is an object) are also visible at the top level,
    /// plus `item` itself: the scope of one element of an `each:` list.
    func scoped(to item: JSONValue) -> TemplateContext {
        var copy = self
        for (key, value) in item.objectValue ?? [:] { copy.values[key] = value }
        copy.values["item"] = item
        return copy
    }

    var mustacheValue: [String: Any] { values.mapValues(Self.mustache) }

    private static func mustache(_ value: JSONValue) -> Any {
        switch value {
        case .null: return String?.none as Any // falsy in sections, empty in variables
        case .bool(let value): return value
        case .int(let value): return value
        case .double(let value): return value == value.rounded() && abs(value) < 1e15 ? Int(value) as Any : value as Any
        case .string(let value): return value
        case .array(let values): return values.map(mustache)
        case .object(let members): return members.mapValues(mustache)
        }
    }
}

/// A YAML value whose strings are templates: the content of a rich message, rendered to JSON.
/// A mapping `{each: PATH, …}` repeats its other members for every element of the list at
/// `PATH` (each element's fields are visible by name).
public indirect enum TemplateTree: Sendable {
    case text(Template)
    case literal(JSONValue)
    case array([TemplateTree])
    case object([(String, TemplateTree)])
    case each(path: String, item: [(String, TemplateTree)])

    func render(_ context: TemplateContext) -> JSONValue {
        switch self {
        case .text(let template): return .string(template.render(context))
        case .literal(let value): return value
        case .array(let items):
            var rendered: [JSONValue] = []
            for item in items {
                if case .each = item, case .array(let expanded) = item.render(context) {
                    rendered.append(contentsOf: expanded)
                } else {
                    rendered.append(item.render(context))
                }
            }
            return .array(rendered)
        case .object(let members):
            return .object(Dictionary(members.map { ($0.0, $0.1.render(context)) }, uniquingKeysWith: { $1 }))
        case .each(let path, let item):
            let elements = context.value(at: path)?.arrayValue ?? []
            return .array(elements.map { element in
                let scope = context.scoped(to: element)
                return .object(Dictionary(item.map { ($0.0, $0.1.render(scope)) }, uniquingKeysWith: { $1 }))
            })
        }
    }

    var templates: [Template] {
        switch self {
        case .text(let template): [template]
        case .literal: []
        case .array(let items): items.flatMap(\.templates)
        case .object(let members), .each(_, let members): members.flatMap(\.1.templates)
        }
    }
}
