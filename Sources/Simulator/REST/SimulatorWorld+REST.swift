import Chatwoot
import Foundation

// The bot-token REST API (docs/chatwoot-protocol.md §7), checked in Chatwoot's order: token present (Devise),
// token known, body parseable, endpoint allowed for bots, account exists and is accessible,
// conversation exists.
extension SimulatorWorld {
    /// Answers one REST call and applies its effects; the webhooks it causes are left in
    /// ``dispatches``.
    mutating func handle(_ request: BotRequest, now: Date) -> RESTResponse {
        guard let token = request.accessToken, !token.isEmpty else { return .signInRequired }
        guard token == bot.accessToken else { return .invalidAccessToken }
        guard let params = RailsParams.parse(request.body) else { return .badRequest }
        guard let route = BotRoute(method: request.method, path: request.path) else { return .notAuthorizedForBots }
        guard let accountId = Int(route.accountId), accounts[accountId] != nil else { return .notFound }
        guard botCanAccess(accountId: accountId) else { return .botNotAuthorizedForAccount }
        if route.action == .createConversation {
            return createConversation(params, accountId: accountId, now: now)
        }
        guard let displayId = route.conversationId.flatMap({ Int($0) }),
            let conversation = conversation(at: ConversationAddress(accountId: accountId, conversationId: displayId))
        else { return .notFound }

        switch route.action {
        case .createMessage: return createMessage(params, body: request.body, in: conversation, now: now)
        case .toggleStatus: return toggleStatus(params, of: conversation, now: now)
        case .togglePriority: return setPriority(params, of: conversation, now: now) ?? .empty
        case .updateConversation:
            if let failure = setPriority(params, of: conversation, now: now) { return failure }
            return .ok(conversationView(conversations[conversation.id] ?? conversation))
        case .customAttributes:
            let attributes = params["custom_attributes"]?.objectValue ?? [:]
            updateConversation(conversation.id, now: now) { $0.customAttributes = attributes }
            return .ok(["custom_attributes": .object(attributes)])
        case .assignments: return assign(params, in: conversation, now: now)
        case .toggleTypingStatus:
            conversations[conversation.id]?.botTypingStatus = params["typing_status"]?.scalarText
            return .empty
        case .createConversation: return .notFound  // handled above
        }
    }

    // MARK: - Conversation endpoints

    private mutating func toggleStatus(
        _ params: [String: JSONValue],
        of conversation: SimulatedConversation,
        now: Date
    ) -> RESTResponse {
        let requested = params["status"]?.scalarText ?? ""
        var success: Bool? = true
        if conversation.status == .pending, requested == "open" {
            // `bot_handoff!`: Chatwoot does not set `@status` on this path.
            success = nil
            changeStatus(of: conversation.id, to: .open, by: .bot, now: now)
        } else if !requested.isEmpty {
            guard let status = RailsParams.enumValue(requested, ConversationStatus.self) else { return .internalServerError }
            let snoozedUntil = params["snoozed_until"].flatMap { value -> Date? in
                (value.intValue ?? value.stringValue.flatMap { Int($0) }).map {
                    Date(timeIntervalSince1970: TimeInterval($0))
                }
            }
            changeStatus(of: conversation.id, to: status, snoozedUntil: snoozedUntil, by: .bot, now: now)
        } else {
            changeStatus(of: conversation.id, to: conversation.status == .open ? .resolved : .open, by: .bot, now: now)
        }
        return .ok(toggleStatusView(conversations[conversation.id] ?? conversation, success: success))
    }

    /// Applies `priority` when the key is present; returns a failure response for an invalid value.
    private mutating func setPriority(
        _ params: [String: JSONValue],
        of conversation: SimulatedConversation,
        now: Date
    ) -> RESTResponse? {
        guard let value = params["priority"] else { return nil }
        var priority: Priority?
        if let text = value.scalarText, !text.isEmpty {
            guard let parsed = RailsParams.enumValue(text, Priority.self) else { return .internalServerError }
            priority = parsed
        }
        updateConversation(conversation.id, now: now) { $0.priority = priority }
        return nil
    }

    private mutating func assign(
        _ params: [String: JSONValue],
        in conversation: SimulatedConversation,
        now: Date
    ) -> RESTResponse {
        if params["assignee_type"]?.scalarText == "AgentBot" {
            guard params["assignee_id"]?.intValue == bot.id else { return .notFound }
            assign(.bot(id: bot.id), in: conversation.id, by: .bot, now: now)
            return .ok(botSlimView())
        }
        if let value = params["assignee_id"] {
            let agent = value.intValue.flatMap { agents[$0] }.flatMap { $0.accountId == conversation.accountId ? $0 : nil }
            assign(agent.map { .agent(id: $0.id) }, in: conversation.id, by: .bot, now: now)
            return .ok(agent.map(agentView) ?? .null)
        }
        if let value = params["team_id"] {
            let team = value.intValue.flatMap { teams[$0] }.flatMap { $0.accountId == conversation.accountId ? $0 : nil }
            assignTeam(team?.id, in: conversation.id, by: .bot, now: now)
            return .ok(team.map(teamView) ?? .null)
        }
        return .ok(.null)
    }

    private mutating func createConversation(
        _ params: [String: JSONValue],
        accountId: Int,
        now: Date
    ) -> RESTResponse {
        guard let inboxId = params["inbox_id"]?.intValue, let inbox = inboxes[inboxId], inbox.accountId == accountId
        else { return .notFound }
        let sourceId = params["source_id"]?.scalarText
        let contactId = params["contact_id"]?.intValue
        var contactInbox = contactInboxes.values.first { candidate in
            guard candidate.inboxId == inboxId else { return false }
            if let sourceId { return candidate.sourceId == sourceId }
            return candidate.contactId == contactId
        }
        if contactInbox == nil, let contactId, let contact = contacts[contactId],
            contact.accountId == accountId
        {
            let created = SimulatedContactInbox(
                id: allocateContactInboxId(),
                contactId: contactId,
                inboxId: inboxId,
                sourceId: sourceId ?? "contact-\(contactId)-inbox-\(inboxId)",
                pubsubToken: "",
                createdAt: now
            )
            contactInboxes[created.id] = created
            contactInbox = created
        }
        guard let contactInbox else { return .notFound }
        let status = params["status"]?.scalarText.flatMap { RailsParams.enumValue($0, ConversationStatus.self) }
        do {
            let conversation = try createConversation(
                contactInboxId: contactInbox.id,
                status: status,
                customAttributes: params["custom_attributes"]?.objectValue ?? [:],
                now: now
            )
            return .ok(conversationView(conversation))
        } catch {
            return .notFound
        }
    }
}
