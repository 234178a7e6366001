import Chatwoot
import Domain
import HTTPSupport
import JSONScan

/// A company system the policy can ask: rendered into a ``Domain/LookupCall`` by the reactor.
public struct LookupSpec: Sendable {
    public var name: String
    public var line: Int
    public var method: String
    /// A template; `${NAME}` references stay unexpanded (the effect runner fills them).
    public var url: Template
    public var headers: [String: String]
    public var body: Template?
    public var timeoutMilliseconds: Int
    public var extract: [String: String]
    public var notFound: [Int]

    /// The call for this context. `idempotencyKey` is used for actions (non-GET) only.
    public func call(_ context: TemplateContext, idempotencyKey: String, tag: String? = nil) -> LookupCall {
        LookupCall(name: name, method: method, url: url.render(context, escaping: TemplateContext.escapeForURL), headers: headers,
                   body: body?.render(context, escaping: TemplateContext.escapeForJSON), timeoutMilliseconds: timeoutMilliseconds, extract: extract,
                   notFound: notFound, idempotencyKey: method == "GET" ? nil : idempotencyKey, tag: tag)
    }
}

extension TemplateContext {
    /// Text values escaped for a JSON string (`"`, `\\`, control characters), so a body template
    /// like `{"name": "{{contact.name}}"}` stays valid JSON whatever the customer typed. `$` and `{`
    /// are written `\u0024` and `\u007b` (the same string to the backend): the effect runner
    /// replaces `${NAME}` in the body from the environment, and a customer who types
    /// `${DATABASE_PASSWORD}` must not have it filled in.
    static func escapeForJSON(_ value: JSONValue) -> JSONValue {
        switch value {
        case .string(let text):
            var escaped = JSONWriter.escapedContent(text)
            // `{` too: after a literal `$` in the template (`"refund ${{slots.amount}}"`), a value
            // starting with `{` would complete a reference.
            for (character, escape) in [("$", "\\u0024"), ("{", "\\u007b")] where escaped.contains(character) {
                escaped = escaped.split(separator: Character(character), omittingEmptySubsequences: false).joined(separator: escape)
            }
            return .string(escaped)
        case .array(let values): return .array(values.map(escapeForJSON))
        case .object(let members): return .object(members.mapValues(escapeForJSON))
        default: return value
        }
    }

    /// Customer-typed values percent-encoded, so `{{slots.x}}` in a URL cannot change its path or query.
    static func escapeForURL(_ value: JSONValue) -> JSONValue {
        switch value {
        case .string(let text): return .string(PercentEncoding.encode(text))
        case .array(let values): return .array(values.map(escapeForURL))
        case .object(let members): return .object(members.mapValues(escapeForURL))
        default: return value
        }
    }
}

