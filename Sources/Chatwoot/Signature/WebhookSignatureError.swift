/// Why a webhook delivery failed signature verification (docs/chatwoot-protocol.md §3.2).
///
/// Match on ``code``. Nothing here quotes the secret or the expected signature.
public struct WebhookSignatureError: Error, Sendable, Hashable, CustomStringConvertible {
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Value: String {
            case missing, malformed, mismatch, expired
        }

        private let value: Value
        private init(_ value: Value) { self.value = value }

        /// `X-Chatwoot-Signature` or `X-Chatwoot-Timestamp` is absent (Chatwoot < 4.13 or a bot
        /// without a secret sends neither).
        public static var missing: Self { .init(.missing) }
        /// A header is present but not `sha256=<64 hex digits>` / a decimal Unix time.
        public static var malformed: Self { .init(.malformed) }
        /// The HMAC does not match: wrong secret, or the body or timestamp was altered.
        public static var mismatch: Self { .init(.mismatch) }
        /// The signature is authentic but the timestamp lies outside the allowed window, in the
        /// past or in the future.
        public static var expired: Self { .init(.expired) }

        public var description: String { value.rawValue }
    }

    public let code: Code
    public let message: String
    /// The signed timestamp, when it could be parsed.
    public let timestamp: Int64?

    public init(_ code: Code, _ message: String, timestamp: Int64? = nil) {
        self.code = code
        self.message = message
        self.timestamp = timestamp
    }

    public var description: String { "WebhookSignatureError(\(code)): \(message)" }
}
