import Chatwoot
import Mustache

/// A Mustache template from the policy, rendered as plain text (chat messages are not HTML, so
/// nothing is escaped). Values come from a ``TemplateContext``.
public struct Template: Sendable {
    public let source: String
    private let compiled: MustacheTemplate
    /// What a template without tags renders to, whatever the context (most replies are fixed
    /// text: they need no context built, converted and searched).
    private let constant: String?
    /// The context names the tags start with (`contact` for `{{contact.first_name}}`): only these
    /// are converted for Mustache. nil when a tag is not a plain name (a transform, a delimiter
    /// change, `{{.}}`): then the whole context is.
    private let names: Set<String>?
    /// Chat messages are plain text: nothing is HTML-escaped.
    static let pragma = "{{% CONTENT_TYPE: TEXT}}"

    /// - Throws: the parser's error when `source` is not a valid Mustache template.
    public init(_ source: String) throws {
        self.source = source
        compiled = try MustacheTemplate(string: Self.pragma + source)
        // Rendered by Mustache itself, so the constant is exactly what rendering would give.
        constant = source.contains("{{") ? nil : compiled.render([String: Any]())
        names = Self.contextNames(in: source)
    }

    /// Whether the rendered text depends on the context (false: render with an empty one).
    public var readsContext: Bool { constant == nil }

    /// The context is built only when the template reads one (not for fixed text).
    public func render(_ context: @autoclosure () -> TemplateContext) -> String {
        render(context(), escaping: nil)
    }

    /// The same, each value the template uses passed through `escape` first (for a URL or a
    /// JSON body): only what the template names is escaped.
    func render(_ context: @autoclosure () -> TemplateContext, escaping escape: ((JSONValue) -> JSONValue)?) -> String {
        if let constant { return constant }
        return compiled.render(context().mustacheValue(only: names, escaping: escape))
    }

    /// The first component of every name the tags use, or nil when a tag is anything but a
    /// (dotted) name, a section around one, or a comment.
    static func contextNames(in source: String) -> Set<String>? {
        var names: Set<String> = []
        var rest = Substring(source)
        while let open = rest.range(of: "{{") {
            rest = rest[open.upperBound...]
            guard let close = rest.range(of: "}}") else { return nil }
            var tag = rest[..<close.lowerBound].drop { $0 == " " }
            rest = rest[close.upperBound...]
            switch tag.first {
            case "!": continue
            case "#", "^", "/", "&", "{": tag = tag.dropFirst().drop { $0 == " " }
            default: break
            }
            let name = tag.prefix { $0 != " " }
            guard !name.isEmpty, tag.dropFirst(name.count).allSatisfy({ $0 == " " }), name.first != ".",
                  name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "." || $0 == "-" }) else { return nil }
            names.insert(String(name.prefix { $0 != "." }))
        }
        return names
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

    /// The values Mustache reads: those named in `names` (all when nil), through `escape` if given.
    func mustacheValue(only names: Set<String>?, escaping escape: ((JSONValue) -> JSONValue)? = nil) -> [String: Any] {
        let convert = { (value: JSONValue) in Self.mustache(value, escaping: escape) }
        guard let names else { return values.mapValues(convert) }
        var converted: [String: Any] = [:]
        for name in names {
            if let value = values[name] { converted[name] = convert(value) }
        }
        return converted
    }

    /// `escape` applies to what a tag prints: each string, and an object's or a list's JSON text
    /// as a whole (once: escaping its strings first would escape them twice).
    private static func mustache(_ value: JSONValue, escaping escape: ((JSONValue) -> JSONValue)?) -> Any {
        switch value {
        case .null: return String?.none as Any // falsy in sections, empty in variables
        case .bool(let value): return value
        case .int(let value): return value
        case .double(let value): return value == value.rounded() && abs(value) < 1e15 ? Int(value) as Any : value as Any
        case .string: return (escape?(value) ?? value).stringValue ?? ""
        case .array(let values):
            return MustacheList(elements: values.map { mustache($0, escaping: escape) }, text: printed(value, escaping: escape))
        case .object(let members):
            return MustacheObject(members: members.mapValues { mustache($0, escaping: escape) }, text: printed(value, escaping: escape))
        }
    }

    private static func printed(_ value: JSONValue, escaping escape: ((JSONValue) -> JSONValue)?) -> String {
        let text = canonicalText(value)
        return escape.flatMap { $0(.string(text)).stringValue } ?? text
    }
}

/// The canonical JSON of a value (object keys sorted): how a template prints a list or an object
/// (`{{result}}`). Mustache printed Swift's description of a Dictionary, whose order changes from
/// process to process, so replay re-derived another text.
private func canonicalText(_ value: JSONValue) -> String {
    var out: [UInt8] = []
    return (try? value.writeJSON(to: &out)).map { String(decoding: out, as: UTF8.self) } ?? ""
}

/// An object for Mustache: its members by name (`{{result.status}}`, sections, transforms as a
/// Dictionary has them), printed as canonical JSON.
private struct MustacheObject: MustacheParent, MustacheCustomRenderable, MustacheTransformable {
    let members: [String: Any]
    let text: String
    func child(named name: String) -> Any? { members[name] }
    var renderText: String { text }
    var isNull: Bool { false }
    func transform(_ name: String) -> Any? {
        // In key order: a Dictionary enumerates in an order that changes from process to process.
        if name == "enumerated" { return members.sorted { $0.key < $1.key }.map { (key: $0.key, value: $0.value) } }
        return members.transform(name)
    }
}

/// A list for Mustache: a section repeats for each element (transforms as an Array has them),
/// printed as canonical JSON.
private struct MustacheList: MustacheSequence, MustacheCustomRenderable, MustacheTransformable {
    let elements: [Any]
    let text: String
    func makeIterator() -> IndexingIterator<[Any]> { elements.makeIterator() }
    var renderText: String { text }
    var isNull: Bool { false }
    func transform(_ name: String) -> Any? { elements.transform(name) }
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

    /// Whether the rendered value depends on the context.
    var readsContext: Bool {
        switch self {
        case .text(let template): template.readsContext
        case .literal: false
        case .array(let items): items.contains(where: \.readsContext)
        case .object(let members): members.contains { $0.1.readsContext }
        case .each: true
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
