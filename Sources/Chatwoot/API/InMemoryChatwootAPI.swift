/// A ``ChatwootAPI`` that records calls instead of sending them, for tests and dry runs.
///
/// Every call is appended to ``calls``. A failure queued with ``failNext(with:)`` is thrown by
/// the next call (and recorded in ``calls`` all the same). Created messages get increasing ids
/// starting at ``Configuration/firstMessageId``.
public actor InMemoryChatwootAPI: ChatwootAPI {
    /// One recorded call.
    public enum Call: Sendable, Hashable {
        case createMessage(OutgoingMessage, ConversationAddress)
        case toggleStatus(ConversationStatusChange, ConversationAddress)
        case togglePriority(Priority?, ConversationAddress)
        case updateCustomAttributes([String: JSONValue], ConversationAddress)
        case assign(Assignee, ConversationAddress)
        case toggleTyping(on: Bool, isPrivate: Bool, ConversationAddress)
    }

    public struct Configuration: Sendable {
        public var firstMessageId: Int
        /// Used as the sender of created messages.
        public var botId: Int

        public init(firstMessageId: Int = 1, botId: Int = 1) {
            self.firstMessageId = firstMessageId
            self.botId = botId
        }
    }

    public private(set) var calls: [Call] = []
    private var failures: [ChatwootAPIError] = []
    private var nextMessageId: Int
    private let configuration: Configuration

    public init(configuration: Configuration = .init()) {
        self.configuration = configuration
        self.nextMessageId = configuration.firstMessageId
    }

    /// Makes the next call throw `error`; calls queue in order.
    public func failNext(with error: ChatwootAPIError) {
        failures.append(error)
    }

    private func record(_ call: Call) throws(ChatwootAPIError) {
        calls.append(call)
        if !failures.isEmpty { throw failures.removeFirst() }
    }

    public func createMessage(
        _ message: OutgoingMessage,
        in conversation: ConversationAddress
    ) throws(ChatwootAPIError) -> PushMessage {
        try record(.createMessage(message, conversation))
        defer { nextMessageId += 1 }
        return PushMessage(
            id: nextMessageId,
            content: message.content,
            accountId: conversation.accountId,
            conversationId: conversation.conversationId,
            messageType: message.messageType,
            contentType: message.contentType,
            contentAttributes: message.contentAttributes,
            isPrivate: message.isPrivate,
            status: .sent,
            sourceId: message.sourceId,
            senderType: "AgentBot",
            senderId: configuration.botId,
            sender: Sender(kind: .agentBot, id: configuration.botId),
            echoId: message.echoId
        )
    }

    public func toggleStatus(
        _ change: ConversationStatusChange,
        in conversation: ConversationAddress
    ) throws(ChatwootAPIError) -> ToggleStatusResult {
        try record(.toggleStatus(change, conversation))
        let status: ConversationStatus =
            switch change {
            case .open: .open
            case .resolved: .resolved
            case .pending: .pending
            case .snoozed: .snoozed
            }
        return ToggleStatusResult(success: true, conversationId: conversation.conversationId, currentStatus: status)
    }

    public func togglePriority(_ priority: Priority?, in conversation: ConversationAddress) throws(ChatwootAPIError) {
        try record(.togglePriority(priority, conversation))
    }

    public func updateCustomAttributes(
        _ attributes: [String: JSONValue],
        in conversation: ConversationAddress
    ) throws(ChatwootAPIError) -> [String: JSONValue] {
        try record(.updateCustomAttributes(attributes, conversation))
        return attributes
    }

    public func assign(_ assignee: Assignee, in conversation: ConversationAddress) throws(ChatwootAPIError) -> JSONValue {
        try record(.assign(assignee, conversation))
        return .null
    }

    public func toggleTyping(
        on: Bool,
        isPrivate: Bool,
        in conversation: ConversationAddress
    ) throws(ChatwootAPIError) {
        try record(.toggleTyping(on: on, isPrivate: isPrivate, conversation))
    }
}
