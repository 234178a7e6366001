extension WebhookEvent {
    /// The message of `message_created` / `message_updated`.
    public var message: WebhookMessage? {
        switch self {
        case .messageCreated(let message), .messageUpdated(let message): message
        default: nil
        }
    }

    /// The conversation the event is about: the payload of `conversation_*` events, the
    /// embedded conversation of message events, `current_conversation` of `webwidget_triggered`.
    public var conversation: WebhookConversation? {
        switch self {
        case .messageCreated(let message), .messageUpdated(let message):
            message.conversation
        case .conversationOpened(let conversation), .conversationResolved(let conversation),
            .conversationStatusChanged(let conversation), .conversationUpdated(let conversation):
            conversation
        case .webwidgetTriggered(let trigger):
            trigger.currentConversation
        case .unknown:
            nil
        }
    }

    /// The conversation's display id, used in REST paths.
    public var conversationDisplayId: Int? {
        conversation?.id
    }

    /// The account id: `account.id` when the payload has it, otherwise the last message's
    /// `account_id` (conversation events carry no account object, docs/chatwoot-protocol.md §4.3).
    public var accountId: Int? {
        switch self {
        case .messageCreated(let message), .messageUpdated(let message):
            message.account?.id ?? message.conversation?.accountId
        case .webwidgetTriggered(let trigger):
            trigger.account?.id ?? trigger.contact?.account?.id ?? trigger.currentConversation?.accountId
        default:
            conversation?.accountId
        }
    }

    /// The inbox id.
    public var inboxId: Int? {
        switch self {
        case .messageCreated(let message), .messageUpdated(let message):
            message.inbox?.id ?? message.conversation?.inboxId
        case .webwidgetTriggered(let trigger):
            trigger.inbox?.id ?? trigger.currentConversation?.inboxId
        default:
            conversation?.inboxId
        }
    }

    /// The conversation status carried by the payload (the status when the event happened).
    public var conversationStatus: ConversationStatus? {
        conversation?.status
    }

    /// Where to send REST calls about this event's conversation; `nil` when the account or the
    /// conversation is unknown (for example `webwidget_triggered` for a first-time visitor).
    public var conversationAddress: ConversationAddress? {
        guard let accountId, let conversationId = conversationDisplayId else { return nil }
        return ConversationAddress(accountId: accountId, conversationId: conversationId)
    }
}
