/// A failed Chatwoot REST call.
///
/// Match on ``kind``. ``bodyExcerpt`` holds a bounded excerpt of Chatwoot's explanation
/// (`{"error": …}`, `{"message": …, "attributes": […]}`, or the raw text). No credential is ever
/// part of this value. ``isRetryable`` tells the caller's retry policy whether another attempt
/// can succeed; nothing in this module retries.
public struct ChatwootAPIError: Error, Sendable, Hashable, CustomStringConvertible {
    public struct Kind: Sendable, Hashable, CustomStringConvertible {
        private enum Value: String {
            case unauthorized, notFound, unprocessable, rateLimited, server, otherStatus
            case timeout, transport, invalidRequest, invalidResponse, cancelled
        }

        private let value: Value
        private init(_ value: Value) { self.value = value }

        /// 401: bad token, endpoint not allowed for bots, wrong or suspended account.
        public static var unauthorized: Self { .init(.unauthorized) }
        /// 404: unknown account or conversation display id.
        public static var notFound: Self { .init(.notFound) }
        /// 422: validation failed (unknown item keys, flood limit, incoming in a non-API inbox…).
        public static var unprocessable: Self { .init(.unprocessable) }
        /// 429: rack-attack rate limit.
        public static var rateLimited: Self { .init(.rateLimited) }
        /// 5xx.
        public static var server: Self { .init(.server) }
        /// Any other non-2xx status.
        public static var otherStatus: Self { .init(.otherStatus) }
        /// No complete response within the request timeout (connect, read or overall deadline).
        public static var timeout: Self { .init(.timeout) }
        /// The connection failed or broke (refused, reset, TLS…).
        public static var transport: Self { .init(.transport) }
        /// The request could not be built or sent as configured (bad base URL, unencodable body).
        public static var invalidRequest: Self { .init(.invalidRequest) }
        /// A 2xx response whose body could not be read. The call itself took effect.
        public static var invalidResponse: Self { .init(.invalidResponse) }
        /// The calling task was cancelled.
        public static var cancelled: Self { .init(.cancelled) }

        public var description: String { value.rawValue }

        /// The kind for a non-2xx status.
        public init(status: Int) {
            switch status {
            case 401: self = .unauthorized
            case 404: self = .notFound
            case 422: self = .unprocessable
            case 429: self = .rateLimited
            case 500...599: self = .server
            default: self = .otherStatus
            }
        }
    }

    public var kind: Kind
    /// The HTTP status, when a response arrived.
    public var status: Int?
    /// `"POST /api/v1/accounts/1/conversations/128/messages"`.
    public var endpoint: String
    /// A short excerpt of the error body, or of the underlying transport error.
    public var bodyExcerpt: String?
    /// `Retry-After` in seconds, when a 429/503 carried one.
    public var retryAfterSeconds: Int?

    public init(
        kind: Kind,
        status: Int? = nil,
        endpoint: String,
        bodyExcerpt: String? = nil,
        retryAfterSeconds: Int? = nil
    ) {
        self.kind = kind
        self.status = status
        self.endpoint = endpoint
        self.bodyExcerpt = bodyExcerpt
        self.retryAfterSeconds = retryAfterSeconds
    }

    /// `true` for 429, 5xx, timeouts, connection failures and the flood guard's 422: the same
    /// request may succeed later. Other 4xx, invalid requests/responses and cancellation are final.
    public var isRetryable: Bool {
        [Kind.rateLimited, .server, .timeout, .transport].contains(kind) || isFloodGuard
    }

    /// Chatwoot's flood guard: a conversation takes at most 200 messages a minute, and message
    /// create answers 422 "Too many messages" beyond that (docs/chatwoot-protocol.md §7.5). It
    /// clears within the minute, so unlike other 422s it is worth retrying.
    public var isFloodGuard: Bool {
        kind == .unprocessable && bodyExcerpt?.contains("Too many messages") == true
    }

    /// Whether the call may have taken effect although it failed: no answer arrived (a timeout, a
    /// lost connection), or a gateway answered for Chatwoot (502, 504; Chatwoot's own message
    /// create turns its failures into 422, §7.5). A create is then not simply sent again.
    public var mayHaveTakenEffect: Bool {
        kind == .timeout || kind == .transport || status == 502 || status == 504
    }

    public var description: String {
        var text = "ChatwootAPIError(\(kind)"
        if let status { text += ", HTTP \(status)" }
        text += ", \(endpoint)"
        if let bodyExcerpt { text += "): \(bodyExcerpt)" } else { text += ")" }
        return text
    }
}
