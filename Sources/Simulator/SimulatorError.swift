/// A scripting or control call the simulator cannot carry out.
///
/// Match on the static members (`error.code == .unknownConversation`); ``message`` says what was
/// wrong and how to fix it. HTTP-level failures of the bot's REST calls are not errors of this type:
/// they are answered with Chatwoot's own status codes and bodies.
public struct SimulatorError: Error, Sendable, Hashable, CustomStringConvertible {
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Value: String {
            case unknownAccount, unknownInbox, unknownContact, unknownConversation, unknownMessage
            case unknownAgent, invalidSubmission, serverNotRunning, timedOut
        }

        private let value: Value
        private init(_ value: Value) { self.value = value }

        public static var unknownAccount: Self { .init(.unknownAccount) }
        public static var unknownInbox: Self { .init(.unknownInbox) }
        public static var unknownContact: Self { .init(.unknownContact) }
        public static var unknownConversation: Self { .init(.unknownConversation) }
        public static var unknownMessage: Self { .init(.unknownMessage) }
        public static var unknownAgent: Self { .init(.unknownAgent) }
        /// A widget answer the real widget could not send (wrong content type, unknown option,
        /// missing form field…).
        public static var invalidSubmission: Self { .init(.invalidSubmission) }
        /// The HTTP server could not be started, or was asked for before it started.
        public static var serverNotRunning: Self { .init(.serverNotRunning) }
        /// ``ChatwootSimulator/waitUntil(timeout:_:)`` gave up.
        public static var timedOut: Self { .init(.timedOut) }

        public var description: String { value.rawValue }
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "SimulatorError(\(code)): \(message)" }
}
