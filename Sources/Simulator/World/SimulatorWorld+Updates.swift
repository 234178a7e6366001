import Chatwoot
import Foundation

// Conversation updates and the events Chatwoot's `after_update_commit` callbacks send
// (docs/chatwoot-protocol.md §2, §4.8): `conversation_opened` / `conversation_resolved`, then
// `conversation_status_changed`, then `conversation_updated` with `changed_attributes`.
extension SimulatorWorld {
    /// Applies `change`, stamps `updated_at` when a tracked attribute changed, and emits the
    /// conversation events the bot receives.
    ///
    /// - Returns: The names of the changed attributes, without `updated_at`; empty when nothing changed.
    @discardableResult
    mutating func updateConversation(
        _ id: Int,
        now: Date,
        _ change: (inout SimulatedConversation) -> Void
    ) -> [String] {
        guard var conversation = conversations[id] else { return [] }
        let before = Self.trackedAttributes(of: conversation)
        change(&conversation)
        let after = Self.trackedAttributes(of: conversation)
        var changes: [JSONValue] = []
        for (index, (name, previous)) in before.enumerated() where previous != after[index].value {
            changes.append([name: ["previous_value": previous, "current_value": after[index].value]])
        }
        guard !changes.isEmpty else {
            conversations[id] = conversation
            return []
        }
        let previousUpdatedAt = conversation.updatedAt
        conversation.updatedAt = now
        changes.append([
            "updated_at": [
                "previous_value": .string(Timestamps.iso(previousUpdatedAt)),
                "current_value": .string(Timestamps.iso(now)),
            ]
        ])
        conversations[id] = conversation

        let statusChanged = before[0].value != after[0].value
        if statusChanged {
            if conversation.status == .open { emitConversationEvent(WebhookEvent.Name.conversationOpened, conversation) }
            if conversation.status == .resolved {
                emitConversationEvent(WebhookEvent.Name.conversationResolved, conversation)
            }
            // Rails' `status_change` is already cleared in the after-commit callback, so Chatwoot
            // sends `null` here (docs/chatwoot-protocol.md §4.8).
            emitConversationEvent(WebhookEvent.Name.conversationStatusChanged, conversation, changedAttributes: .null)
        }
        emitConversationEvent(WebhookEvent.Name.conversationUpdated, conversation, changedAttributes: .array(changes))
        return changes.dropLast().compactMap { $0.objectValue?.keys.first }
    }

    /// Emits a conversation event if the bot receives the conversation's events.
    mutating func emitConversationEvent(
        _ event: String,
        _ conversation: SimulatedConversation,
        changedAttributes: JSONValue? = nil
    ) {
        guard botReceivesEvents(of: conversation) else { return }
        var payload = conversationWebhookData(conversation).objectValue ?? [:]
        payload["event"] = .string(event)
        if let changedAttributes { payload["changed_attributes"] = changedAttributes }
        emit(
            WebhookDispatch(
                event: event,
                payload: .object(payload),
                accountId: conversation.accountId,
                conversationDisplayId: conversation.displayId,
                messageId: nil
            )
        )
    }

    /// The attributes in Chatwoot's `list_of_keys` that the simulator models, in the order Rails
    /// reports them, as the JSON `previous_changes` would show. `status` must stay first.
    private static func trackedAttributes(of conversation: SimulatedConversation) -> [(name: String, value: JSONValue)] {
        func time(_ date: Date?) -> JSONValue { date.map { .string(Timestamps.iso($0)) } ?? .null }
        let botAssignee: JSONValue = if case .bot(let id) = conversation.assignee { .int(id) } else { .null }
        return [
            ("status", .string(conversation.status.rawValue)),
            ("snoozed_until", time(conversation.snoozedUntil)),
            ("waiting_since", time(conversation.waitingSince)),
            ("priority", conversation.priority.map { .string($0.rawValue) } ?? .null),
            ("custom_attributes", .object(conversation.customAttributes)),
            ("assignee_id", conversation.assignee?.agentId.map(JSONValue.int) ?? .null),
            ("assignee_agent_bot_id", botAssignee),
            ("team_id", conversation.teamId.map(JSONValue.int) ?? .null),
            ("first_reply_created_at", time(conversation.firstReplyCreatedAt)),
        ]
    }
}
