import Chatwoot
import Foundation

// Contacts, conversations, status, priority, attributes and assignment (docs/chatwoot-protocol.md §7.3, §7.4, §8).
extension SimulatorWorld {
    /// Creates a contact and links it to `inboxId` with `sourceId` (the widget visitor id).
    mutating func createContact(
        _ profile: VisitorProfile,
        inboxId: Int,
        sourceId: String,
        now: Date
    ) throws(SimulatorError) -> SimulatedContactInbox {
        guard let inbox = inboxes[inboxId] else {
            throw SimulatorError(.unknownInbox, "There is no inbox \(inboxId); add it with addInbox(_:) first")
        }
        let contact = SimulatedContact(
            id: allocateContactId(),
            accountId: inbox.accountId,
            name: profile.name,
            email: profile.email,
            phoneNumber: profile.phoneNumber,
            identifier: profile.identifier,
            additionalAttributes: [:],
            customAttributes: profile.customAttributes,
            blocked: profile.blocked
        )
        contacts[contact.id] = contact
        let contactInbox = SimulatedContactInbox(
            id: allocateContactInboxId(),
            contactId: contact.id,
            inboxId: inboxId,
            sourceId: sourceId,
            pubsubToken: String(sourceId.filter { $0.isLetter || $0.isNumber }.prefix(24)),
            createdAt: now
        )
        contactInboxes[contactInbox.id] = contactInbox
        browsers[contactInbox.id] = profile.browser
        return contactInbox
    }

    /// Opens a new conversation for a contact inbox. It starts `pending` when the inbox has an active
    /// bot, `resolved` for a blocked contact, `open` otherwise; `waiting_since` starts at creation.
    /// Chatwoot sends the bot nothing for this (`conversation_created` is not a bot event).
    mutating func createConversation(
        contactInboxId: Int,
        status requested: ConversationStatus? = nil,
        customAttributes: [String: JSONValue] = [:],
        now: Date
    ) throws(SimulatorError) -> SimulatedConversation {
        guard let contactInbox = contactInboxes[contactInboxId], let inbox = inboxes[contactInbox.inboxId],
            let contact = contacts[contactInbox.contactId]
        else {
            throw SimulatorError(.unknownContact, "There is no contact inbox \(contactInboxId)")
        }
        // Chatwoot's determine_conversation_status: a blocked contact's conversation is resolved,
        // and with an active bot it is pending whatever the request asked for.
        let status: ConversationStatus =
            contact.blocked ? .resolved : inbox.botActive ? .pending : requested ?? .open
        let ids = allocateConversationIds(accountId: inbox.accountId)
        var additional: [String: JSONValue] = [:]
        if inbox.channel == SimulatedInbox.webWidgetChannel {
            let browser = browsers[contactInboxId] ?? VisitorBrowser()
            additional = [
                "browser_language": .string(browser.browserLanguage),
                "browser": browser.jsonValue,
                "initiated_at": ["timestamp": .string(Timestamps.browserString(now))],
                "referer": .string(browser.referer),
            ]
        }
        let conversation = SimulatedConversation(
            id: ids.id,
            displayId: ids.displayId,
            accountId: inbox.accountId,
            inboxId: inbox.id,
            contactId: contact.id,
            contactInboxId: contactInboxId,
            status: status,
            priority: nil,
            snoozedUntil: nil,
            customAttributes: customAttributes,
            additionalAttributes: additional,
            labels: [],
            assignee: nil,
            teamId: nil,
            waitingSince: now,
            firstReplyCreatedAt: nil,
            lastActivityAt: now,
            createdAt: now,
            updatedAt: now,
            botTypingStatus: nil
        )
        conversations[conversation.id] = conversation
        return conversation
    }

    /// Sets the status the way `toggle_status` or an agent does, with Chatwoot's side effects:
    /// `snoozed_until` kept only while snoozed, `waiting_since` set on the bot hand-off, an activity
    /// message, and a CSAT survey on resolve when the inbox has surveys enabled.
    mutating func changeStatus(
        of id: Int,
        to status: ConversationStatus,
        snoozedUntil: Date? = nil,
        by actor: ChangeAuthor,
        now: Date
    ) {
        guard let current = conversations[id] else { return }
        let isBotHandoff = actor == .bot && current.status == .pending && status == .open
        let changed = updateConversation(id, now: now) { conversation in
            conversation.status = status
            conversation.snoozedUntil = status == .snoozed ? snoozedUntil : nil
            if isBotHandoff, conversation.waitingSince == nil { conversation.waitingSince = now }
        }
        guard changed.contains("status") else { return }
        if actor != .system {
            appendActivity(ActivityText.statusChanged(to: status.rawValue, by: name(of: actor)), to: id, now: now)
        }
        // Chatwoot's CsatSurveyService#csat_already_sent?: one survey per conversation, and none
        // when one was posted already (by the bot, too).
        if status == .resolved, let inboxId = conversations[id]?.inboxId, inboxes[inboxId]?.csatSurveyEnabled == true,
           !transcript(ofConversation: id).contains(where: { $0.contentType == .inputCSAT }) {
            let survey = appendMessage(
                MessageDraft(
                    messageType: .template,
                    contentType: .inputCSAT,
                    content: "Please rate the conversation",
                    contentAttributes: ["display_type": "emoji"]
                ),
                to: id,
                now: now
            )
            emitMessageEvent(WebhookEvent.Name.messageCreated, messageId: survey.id)
        }
    }

    /// Chatwoot's reaction to a failed delivery of a message event (docs/chatwoot-protocol.md §3.4): a `pending`
    /// conversation is opened, unless the account keeps pending conversations on bot failure.
    mutating func handleBotFailure(messageId: Int, now: Date) {
        guard let message = messages[messageId], let conversation = conversations[message.conversationId],
            conversation.status == .pending, accounts[conversation.accountId]?.keepPendingOnBotFailure != true
        else { return }
        changeStatus(of: conversation.id, to: .open, by: .system, now: now)
        appendActivity(ActivityText.botErrorMovedToOpen, to: conversation.id, now: now)
    }

    /// Assigns a human, the bot, or nobody. Assigning a human clears the bot assignee.
    mutating func assign(_ assignee: SimulatedParticipant?, in id: Int, by actor: ChangeAuthor, now: Date) {
        let changed = updateConversation(id, now: now) { $0.assignee = assignee }
        guard !changed.isEmpty else { return }
        let text: String
        switch assignee {
        case nil: text = ActivityText.unassigned(by: name(of: actor))
        case .agent(let agentId): text = ActivityText.assigned(to: name(of: .agent(id: agentId)), by: name(of: actor))
        case .bot: text = ActivityText.assigned(to: bot.name, by: name(of: actor))
        case .contact: return
        }
        appendActivity(text, to: id, now: now)
    }

    /// Assigns a team, or none.
    mutating func assignTeam(_ teamId: Int?, in id: Int, by actor: ChangeAuthor, now: Date) {
        let changed = updateConversation(id, now: now) { $0.teamId = teamId }
        if !changed.isEmpty, let team = teamId.flatMap({ teams[$0] }) {
            appendActivity(ActivityText.teamAssigned(to: team.name, by: name(of: actor)), to: id, now: now)
        }
    }
}
