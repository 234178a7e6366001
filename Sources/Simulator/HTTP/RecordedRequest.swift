import Chatwoot
import Foundation

/// A call that the simulated Chatwoot or the ``SampleBackends`` received. Chatwoot's access token
/// itself is never kept.
public struct RecordedRequest: Sendable, Hashable {
    /// Arrival order, starting at 1.
    public var sequence: Int
    public var method: String
    /// Without the query string.
    public var path: String
    public var query: String?
    /// Header names lowercased; a repeated header's values joined with `", "`. Chatwoot's token
    /// header is kept as `***`.
    public var headers: [String: String]
    /// The token header as the client spelled it (`api_access_token`, `Api-Access-Token`…), or
    /// `nil`. Always `nil` for the sample backends.
    public var accessTokenHeader: String?
    /// `true` when the header carried the bot's token.
    public var accessTokenValid: Bool
    public var contentType: String?
    public var body: Data
    /// The status the simulator answered; `nil` while in flight, or when the connection was closed
    /// without an answer.
    public var responseStatus: Int?
    /// The failure injected into this call, if any.
    public var injectedFailure: InjectedFailure?

    /// `true` when a token header was sent (whatever its value).
    public var hasAccessToken: Bool { accessTokenHeader != nil }

    /// The path with the query string, as sent: `/customers?email=maria%40example.com`.
    public var pathWithQuery: String {
        query.map { "\(path)?\($0)" } ?? path
    }

    /// The value of a header, whatever the case of `name`.
    public func header(_ name: String) -> String? {
        headers[name.lowercased()]
    }

    /// The body as JSON, or `nil`.
    public var json: JSONValue? {
        try? JSONDecoder().decode(JSONValue.self, from: body)
    }
}
