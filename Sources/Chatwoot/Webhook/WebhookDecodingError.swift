/// Why a webhook body could not be decoded into a ``WebhookEvent``.
///
/// Match on ``code``; ``message`` explains the problem without quoting the body.
public struct WebhookDecodingError: Error, Sendable, Hashable, CustomStringConvertible {
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Value: String {
            case emptyBody = "empty body"
            case tooDeeplyNested = "too deeply nested"
            case invalidUTF8 = "invalid UTF-8"
            case malformedJSON = "malformed JSON"
            case notAnObject = "not a JSON object"
            case missingEventName = "missing event name"
        }

        private let value: Value
        private init(_ value: Value) { self.value = value }

        /// The body is empty or only whitespace.
        public static var emptyBody: Self { .init(.emptyBody) }
        /// Arrays or objects nest deeper than the allowed depth (checked before parsing).
        public static var tooDeeplyNested: Self { .init(.tooDeeplyNested) }
        /// The bytes are not valid UTF-8 (which JSON on the wire must be).
        public static var invalidUTF8: Self { .init(.invalidUTF8) }
        /// Not valid JSON: truncated, stray characters…
        public static var malformedJSON: Self { .init(.malformedJSON) }
        /// Valid JSON whose top level is not an object.
        public static var notAnObject: Self { .init(.notAnObject) }
        /// An object without a string `event` field.
        public static var missingEventName: Self { .init(.missingEventName) }

        public var description: String { value.rawValue }
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "WebhookDecodingError(\(code)): \(message)" }
}
