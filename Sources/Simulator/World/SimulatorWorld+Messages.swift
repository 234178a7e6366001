import Chatwoot
import Foundation

// Messages and their side effects (docs/chatwoot-protocol.md §2.2, §6, §7.2, §8).
extension SimulatorWorld {
    /// Stores a message and bumps `last_activity_at` and the conversation's `updated_at` (Rails'
    /// `belongs_to :conversation, touch: true`). Sends nothing: callers emit events in Chatwoot's order.
    @discardableResult
    mutating func appendMessage(_ draft: MessageDraft, to conversationId: Int, now: Date) -> SimulatedMessage {
        let conversation = conversations[conversationId]
        let message = SimulatedMessage(
            id: allocateMessageId(),
            accountId: conversation?.accountId ?? bot.accountId,
            inboxId: conversation?.inboxId ?? 0,
            conversationId: conversationId,
            messageType: draft.messageType,
            contentType: draft.contentType,
            content: draft.content,
            contentAttributes: draft.contentAttributes,
            additionalAttributes: draft.additionalAttributes,
            isPrivate: draft.isPrivate,
            status: .sent,
            sourceId: draft.sourceId,
            sender: draft.sender,
            createdAt: now,
            updatedAt: now
        )
        messages[message.id] = message
        messageIds[conversationId, default: []].append(message.id)
        conversations[conversationId]?.updatedAt = now
        if draft.messageType != .activity {
            conversations[conversationId]?.lastActivityAt = now
        }
        return message
    }

    /// Writes an activity message (transcript only; never sent to the bot).
    mutating func appendActivity(_ text: String, to conversationId: Int, now: Date) {
        appendMessage(MessageDraft(messageType: .activity, content: text), to: conversationId, now: now)
    }

    /// Emits `message_created` / `message_updated` for a message Chatwoot would send
    /// (`webhook_sendable?`: incoming, outgoing or template) when the bot receives the conversation's events.
    mutating func emitMessageEvent(_ event: String, messageId: Int) {
        guard let message = messages[messageId], let conversation = conversations[message.conversationId],
            [.incoming, .outgoing, .template].contains(message.messageType), botReceivesEvents(of: conversation)
        else { return }
        emit(
            WebhookDispatch(
                event: event,
                payload: messageWebhookData(message, event: event),
                accountId: message.accountId,
                conversationDisplayId: conversation.displayId,
                messageId: message.id
            )
        )
    }

    /// A customer message: reopens a resolved conversation (to `pending` when the inbox has an active
    /// bot, otherwise `open`) or a snoozed one (to `open`) unless the contact is blocked, then sends
    /// `message_created`, then starts `waiting_since` if the customer was not already waiting.
    @discardableResult
    mutating func receiveIncoming(_ draft: MessageDraft, in conversationId: Int, now: Date) -> SimulatedMessage {
        let message = appendMessage(draft, to: conversationId, now: now)
        if let conversation = conversations[conversationId], contacts[conversation.contactId]?.blocked != true {
            let botActive = inboxes[conversation.inboxId]?.botActive == true
            let reopened: ConversationStatus? =
                switch conversation.status {
                case .resolved: botActive ? .pending : .open
                case .snoozed: .open
                default: nil
                }
            if let reopened {
                changeStatus(of: conversationId, to: reopened, by: .system, now: now)
                appendActivity(ActivityText.systemAutoOpen, to: conversationId, now: now)
            }
        }
        emitMessageEvent(WebhookEvent.Name.messageCreated, messageId: message.id)
        updateConversation(conversationId, now: now) { conversation in
            if conversation.waitingSince == nil { conversation.waitingSince = message.createdAt }
        }
        return message
    }

    /// A message from the bot or an agent: sends `message_created`; a public reply clears
    /// `waiting_since`, and a human's first public reply sets `first_reply_created_at`. The status
    /// does not change.
    @discardableResult
    mutating func postOutgoing(_ draft: MessageDraft, in conversationId: Int, now: Date) -> SimulatedMessage {
        let message = appendMessage(draft, to: conversationId, now: now)
        emitMessageEvent(WebhookEvent.Name.messageCreated, messageId: message.id)
        guard draft.messageType == .outgoing, !draft.isPrivate else { return message }
        updateConversation(conversationId, now: now) { conversation in
            conversation.waitingSince = nil
            if case .agent = draft.sender, conversation.firstReplyCreatedAt == nil {
                conversation.firstReplyCreatedAt = now
            }
        }
        return message
    }

    /// Changes a message's `content_attributes` (a widget answer) and sends `message_updated`.
    mutating func updateContentAttributes(
        ofMessage id: Int,
        now: Date,
        _ change: (inout [String: JSONValue]) -> Void
    ) {
        guard var message = messages[id] else { return }
        change(&message.contentAttributes)
        message.updatedAt = now
        messages[id] = message
        // Touched by the message's save, as on create: a widget answer's payload carries its time
        // in `conversation.updated_at` too (the fixtures recorded from Chatwoot show it).
        conversations[message.conversationId]?.updatedAt = now
        emitMessageEvent(WebhookEvent.Name.messageUpdated, messageId: id)
    }

    /// Messages created in the conversation during the minute before `now` (the flood guard's count).
    func messagesInLastMinute(ofConversation id: Int, now: Date) -> Int {
        transcript(ofConversation: id).count { now.timeIntervalSince($0.createdAt) < 60 }
    }
}
