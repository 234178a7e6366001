import Chatwoot
import Foundation

// The jbuilder views of the REST responses (docs/chatwoot-protocol.md §7.2–7.4), key for key as in
// `Tests/Fixtures/chatwoot/api-*.json`.
extension SimulatorWorld {
    /// `api/v1/models/_message.json.jbuilder`: `message_type` as an integer, `created_at` in Unix
    /// seconds, `echo_id` only when the request had one.
    func messageView(_ message: SimulatedMessage, echoId: String?) -> JSONValue {
        var object: [String: JSONValue] = [
            "id": .int(message.id),
            "content": message.content.map(JSONValue.string) ?? .null,
            "inbox_id": .int(message.inboxId),
            "conversation_id": conversations[message.conversationId].map { .int($0.displayId) } ?? .null,
            "message_type": .int(message.messageType.code),
            "content_type": .string(message.contentType.rawValue),
            "status": .string(message.status.rawValue),
            "content_attributes": .object(message.contentAttributes),
            "created_at": .int(Timestamps.unix(message.createdAt)),
            "private": .bool(message.isPrivate),
            "source_id": message.sourceId.map(JSONValue.string) ?? .null,
        ]
        if let echoId { object["echo_id"] = .string(echoId) }
        if let sender = participantPush(message.sender) { object["sender"] = sender }
        return .object(object)
    }

    /// `conversations/toggle_status.json.jbuilder`.
    func toggleStatusView(_ conversation: SimulatedConversation, success: Bool?) -> JSONValue {
        [
            "meta": [:],
            "payload": [
                "success": success.map(JSONValue.bool) ?? .null,
                "conversation_id": .int(conversation.displayId),
                "current_status": .string(conversation.status.rawValue),
                "snoozed_until": conversation.snoozedUntil.map { .string(Timestamps.iso($0)) } ?? .null,
            ],
        ]
    }

    /// `api/v1/models/_agent.json.jbuilder`.
    func agentView(_ agent: SimulatedAgent) -> JSONValue {
        [
            "id": .int(agent.id),
            "account_id": .int(agent.accountId),
            "availability_status": .string(agent.availabilityStatus),
            "auto_offline": true,
            "confirmed": true,
            "email": .string(agent.email),
            "provider": "email",
            "available_name": .string(agent.name),
            "name": .string(agent.name),
            "role": "agent",
            "thumbnail": "",
            "custom_role_id": nil,
        ]
    }

    /// `api/v1/models/_agent_bot_slim.json.jbuilder`.
    func botSlimView() -> JSONValue {
        [
            "id": .int(bot.id),
            "name": .string(bot.name),
            "description": .string(bot.description),
            "thumbnail": "",
            "outgoing_url": bot.outgoingURL.map { .string($0.absoluteString) } ?? .null,
            "bot_type": "webhook",
        ]
    }

    /// `api/v1/models/_team.json.jbuilder`.
    func teamView(_ team: SimulatedTeam) -> JSONValue {
        [
            "id": .int(team.id),
            "name": .string(team.name),
            "description": .string(team.description),
            "allow_auto_assign": true,
            "account_id": .int(team.accountId),
            "is_member": false,
        ]
    }

    /// `api/v1/conversations/partials/_conversation.json.jbuilder` (reconstructed from the view's
    /// fields; no fixture pins it).
    func conversationView(_ conversation: SimulatedConversation) -> JSONValue {
        var meta = conversationMeta(conversation).objectValue ?? [:]
        meta["channel"] = .string(inboxes[conversation.inboxId]?.channel ?? SimulatedInbox.webWidgetChannel)
        let lastChat = transcript(ofConversation: conversation.id).last(where: \.isChat).map(pushMessage)
        return [
            "meta": .object(meta),
            "id": .int(conversation.displayId),
            "messages": .array(lastChat.map { [$0] } ?? []),
            "account_id": .int(conversation.accountId),
            "uuid": .string(String(format: "00000000-0000-4000-8000-%012d", conversation.id)),
            "additional_attributes": .object(conversation.additionalAttributes),
            "agent_last_seen_at": 0,
            "assignee_last_seen_at": 0,
            "can_reply": true,
            "contact_last_seen_at": 0,
            "custom_attributes": .object(conversation.customAttributes),
            "inbox_id": .int(conversation.inboxId),
            "labels": .array(conversation.labels.map(JSONValue.string)),
            "muted": false,
            "snoozed_until": conversation.snoozedUntil.map { .string(Timestamps.iso($0)) } ?? .null,
            "status": .string(conversation.status.rawValue),
            "created_at": .int(Timestamps.unix(conversation.createdAt)),
            "updated_at": .double(Timestamps.unixFloat(conversation.updatedAt)),
            "timestamp": .int(Timestamps.unix(conversation.lastActivityAt)),
            "first_reply_created_at": .int(Timestamps.unix(conversation.firstReplyCreatedAt)),
            "unread_count": .int(unreadCount(of: conversation)),
            "last_non_activity_message": lastChat ?? .null,
            "last_activity_at": .int(Timestamps.unix(conversation.lastActivityAt)),
            "priority": conversation.priority.map { .string($0.rawValue) } ?? .null,
            "waiting_since": .int(Timestamps.unix(conversation.waitingSince)),
            "sla_policy_id": nil,
        ]
    }
}
