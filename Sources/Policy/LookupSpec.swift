import Chatwoot
import Domain

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
        LookupCall(name: name, method: method, url: url.render(context.escapingForURL()), headers: headers,
                   body: body?.render(context), timeoutMilliseconds: timeoutMilliseconds, extract: extract,
                   notFound: notFound, idempotencyKey: method == "GET" ? nil : idempotencyKey, tag: tag)
    }
}

extension TemplateContext {
    /// Customer-typed values percent-encoded, so `{{slots.x}}` in a URL cannot change its path or query.
    func escapingForURL() -> TemplateContext {
        TemplateContext(values.mapValues(Self.escape))
    }

    private static func escape(_ value: JSONValue) -> JSONValue {
        switch value {
        case .string(let text):
            let allowed = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~".utf8)
            var out = ""
            for byte in text.utf8 {
                if allowed.contains(byte) { out.unicodeScalars.append(UnicodeScalar(byte)) } else { out += "%" + String(byte, radix: 16, uppercase: true).leftPadded(2) }
            }
            return .string(out)
        case .array(let values): return .array(values.map(escape))
        case .object(let members): return .object(members.mapValues(escape))
        default: return value
        }
    }
}

extension String {
    func leftPadded(_ width: Int) -> String { count >= width ? self : String(repeating: "0", count: width - count) + self }
}
