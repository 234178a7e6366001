import Chatwoot
import Foundation

// The webhook bodies (docs/chatwoot-protocol.md §4.1, §4.3, §4.4, §4.6), key for key as in
// `Tests/Fixtures/chatwoot/webhook-*.json`.
extension SimulatorWorld {
    /// `Message#webhook_data` plus `event`: `message_type` is a **string** here.
    func messageWebhookData(_ message: SimulatedMessage, event: String) -> JSONValue {
        var object: [String: JSONValue] = [
            "account": accountRef(message.accountId),
            "additional_attributes": .object(message.additionalAttributes),
            "content_attributes": .object(message.contentAttributes),
            "content_type": .string(message.contentType.rawValue),
            "content": message.content.map(JSONValue.string) ?? .null,
            "created_at": .string(Timestamps.iso(message.createdAt)),
            "id": .int(message.id),
            "inbox": inboxRef(message.inboxId),
            "message_type": .string(message.messageType.rawValue),
            "private": .bool(message.isPrivate),
            "sender": senderWebhookData(message.sender),
            "source_id": message.sourceId.map(JSONValue.string) ?? .null,
            "event": .string(event),
        ]
        if let conversation = conversations[message.conversationId] {
            object["conversation"] = conversationWebhookData(conversation)
        }
        return .object(object)
    }

    /// `Message#push_event_data`: the entries of `conversation.messages[]`, with an **integer**
    /// `message_type` and `created_at`. `sender` is absent for system messages.
    func pushMessage(_ message: SimulatedMessage) -> JSONValue {
        let conversation = conversations[message.conversationId]
        var object: [String: JSONValue] = [
            "id": .int(message.id),
            "content": message.content.map(JSONValue.string) ?? .null,
            "account_id": .int(message.accountId),
            "inbox_id": .int(message.inboxId),
            "conversation_id": conversation.map { .int($0.displayId) } ?? .null,
            "message_type": .int(message.messageType.code),
            "created_at": .int(Timestamps.unix(message.createdAt)),
            "updated_at": .string(Timestamps.iso(message.updatedAt)),
            "private": .bool(message.isPrivate),
            "status": .string(message.status.rawValue),
            "source_id": message.sourceId.map(JSONValue.string) ?? .null,
            "content_type": .string(message.contentType.rawValue),
            "content_attributes": .object(message.contentAttributes),
            "sender_type": message.sender.map { .string($0.railsType) } ?? .null,
            "sender_id": message.sender.map { .int($0.id) } ?? .null,
            "external_source_ids": [:],
            "additional_attributes": .object(message.additionalAttributes),
            "processed_message_content": message.content.map(JSONValue.string) ?? .null,
            "sentiment": [:],
        ]
        if let conversation {
            object["conversation"] = [
                "assignee_id": conversation.assignee.flatMap(\.agentId).map(JSONValue.int) ?? .null,
                "unread_count": .int(unreadCount(of: conversation)),
                "last_activity_at": .int(Timestamps.unix(conversation.lastActivityAt)),
                "contact_inbox": ["source_id": .string(contactInboxes[conversation.contactInboxId]?.sourceId ?? "")],
            ]
        }
        if let sender = participantPush(message.sender) {
            object["sender"] = sender
        }
        return .object(object)
    }

    /// `Conversations::EventDataPresenter#webhook_data` (without `event`).
    func conversationWebhookData(_ conversation: SimulatedConversation) -> JSONValue {
        let inbox = inboxes[conversation.inboxId]
        let lastChatMessage = transcript(ofConversation: conversation.id).last(where: \.isChat)
        return [
            "additional_attributes": .object(conversation.additionalAttributes),
            "can_reply": true,
            "channel": .string(inbox?.channel ?? SimulatedInbox.webWidgetChannel),
            "contact_inbox": contactInboxRecord(conversation.contactInboxId),
            "id": .int(conversation.displayId),
            "inbox_id": .int(conversation.inboxId),
            "messages": .array(lastChatMessage.map { [pushMessage($0)] } ?? []),
            "labels": .array(conversation.labels.map(JSONValue.string)),
            "meta": conversationMeta(conversation),
            "status": .string(conversation.status.rawValue),
            "custom_attributes": .object(conversation.customAttributes),
            "snoozed_until": conversation.snoozedUntil.map { .string(Timestamps.iso($0)) } ?? .null,
            "unread_count": .int(unreadCount(of: conversation)),
            "first_reply_created_at": conversation.firstReplyCreatedAt.map { .string(Timestamps.iso($0)) } ?? .null,
            "priority": conversation.priority.map { .string($0.rawValue) } ?? .null,
            "waiting_since": .int(Timestamps.unix(conversation.waitingSince)),
            "agent_last_seen_at": 0,
            "contact_last_seen_at": 0,
            "last_activity_at": .int(Timestamps.unix(conversation.lastActivityAt)),
            "timestamp": .int(Timestamps.unix(conversation.lastActivityAt)),
            "created_at": .int(Timestamps.unix(conversation.createdAt)),
            "updated_at": .double(Timestamps.unixFloat(conversation.updatedAt)),
        ]
    }

    /// `{sender, assignee, assignee_type, team, hmac_verified}`.
    func conversationMeta(_ conversation: SimulatedConversation) -> JSONValue {
        let team: JSONValue = conversation.teamId.flatMap { teams[$0] }.map {
            ["id": .int($0.id), "name": .string($0.name)]
        } ?? .null
        return [
            "sender": contacts[conversation.contactId].map(contactPush) ?? .null,
            "assignee": participantPush(conversation.assignee) ?? .null,
            "assignee_type": conversation.assignee.map { .string($0.railsType) } ?? .null,
            "team": team,
            "hmac_verified": false,
        ]
    }

    /// The full `ContactInbox` record (§4.5).
    func contactInboxRecord(_ id: Int) -> JSONValue {
        guard let contactInbox = contactInboxes[id] else { return .null }
        return [
            "id": .int(contactInbox.id),
            "contact_id": .int(contactInbox.contactId),
            "inbox_id": .int(contactInbox.inboxId),
            "source_id": .string(contactInbox.sourceId),
            "created_at": .string(Timestamps.iso(contactInbox.createdAt)),
            "updated_at": .string(Timestamps.iso(contactInbox.createdAt)),
            "hmac_verified": false,
            "pubsub_token": .string(contactInbox.pubsubToken),
        ]
    }

    /// The `webwidget_triggered` body: `ContactInbox#webhook_data` plus `event_info` (§4.6).
    func webwidgetTriggeredPayload(_ contactInbox: SimulatedContactInbox, openedAt: Date) -> JSONValue {
        let browser = browsers[contactInbox.id] ?? VisitorBrowser()
        let contact = contacts[contactInbox.contactId]
        let accountId = inboxes[contactInbox.inboxId]?.accountId ?? bot.accountId
        return [
            "id": .int(contactInbox.id),
            "contact": contact.map(contactWebhookData) ?? .null,
            "inbox": inboxRef(contactInbox.inboxId),
            "account": accountRef(accountId),
            "current_conversation": latestConversation(ofContactInbox: contactInbox.id).map(conversationWebhookData)
                ?? .null,
            "source_id": .string(contactInbox.sourceId),
            "event": .string(WebhookEvent.Name.webwidgetTriggered),
            "event_info": [
                "initiated_at": ["timestamp": .string(Timestamps.browserString(openedAt))],
                "referer": .string(browser.referer),
                "widget_language": browser.widgetLanguage.map(JSONValue.string) ?? .null,
                "browser_language": .string(browser.browserLanguage),
                "browser": browser.jsonValue,
            ],
        ]
    }

    /// Unread incoming messages, capped at 10 (agents never read in the simulator).
    func unreadCount(of conversation: SimulatedConversation) -> Int {
        min(10, transcript(ofConversation: conversation.id).count { $0.messageType == .incoming })
    }
}
