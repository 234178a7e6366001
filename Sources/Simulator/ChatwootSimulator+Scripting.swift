import Chatwoot
import Foundation

// MARK: - Customers

extension ChatwootSimulator {
    /// Creates a contact in an inbox (by default the first configured one), as a widget visitor
    /// who has not written yet. Sends nothing to the bot.
    /// - Returns: The contact's link to the inbox: contact id and visitor id (`source_id`).
    public func createVisitor(_ profile: VisitorProfile = VisitorProfile(), inboxId: Int? = nil) async throws
        -> SimulatedContactInbox
    {
        let inboxId = inboxId ?? configuration.inboxes.first?.id ?? 0
        let sourceId = configuration.makeUUID().uuidString.lowercased()
        return try await store.mutate { world, now throws(SimulatorError) in
            try world.createContact(profile, inboxId: inboxId, sourceId: sourceId, now: now)
        }
    }

    /// The visitor opens the chat bubble: `webwidget_triggered` with the latest conversation (or
    /// `null`) to the inbox's bot.
    public func openWidget(_ visitor: SimulatedContactInbox) async throws {
        try await store.mutate { world, now throws(SimulatorError) in
            try world.widgetOpened(contactInboxId: visitor.id, now: now)
        }
    }

    /// Opens a conversation for `visitor`. It starts `pending` when the inbox has an active bot.
    /// Chatwoot sends the bot nothing until the first message.
    /// - Parameter openingWidgetFirst: Sends `webwidget_triggered` before creating the conversation.
    public func startConversation(
        for visitor: SimulatedContactInbox,
        openingWidgetFirst: Bool = false
    ) async throws -> ConversationAddress {
        if openingWidgetFirst { try await openWidget(visitor) }
        return try await store.mutate { world, now throws(SimulatorError) in
            try world.createConversation(contactInboxId: visitor.id, now: now).address
        }
    }

    /// Creates a visitor and opens a conversation for them.
    public func startConversation(
        _ profile: VisitorProfile = VisitorProfile(),
        inboxId: Int? = nil,
        openingWidgetFirst: Bool = false
    ) async throws -> ConversationAddress {
        let visitor = try await createVisitor(profile, inboxId: inboxId)
        return try await startConversation(for: visitor, openingWidgetFirst: openingWidgetFirst)
    }

    /// The customer writes `text`. A resolved conversation reopens (to `pending` with an active bot,
    /// otherwise `open`) and a snoozed one to `open`, before `message_created` is sent (§8).
    @discardableResult
    public func customerSays(_ text: String, in address: ConversationAddress) async throws -> SimulatedMessage {
        try await store.mutate { world, now throws(SimulatorError) in
            let conversation = try world.existingConversation(address)
            let draft = MessageDraft(
                messageType: .incoming,
                content: text,
                contentAttributes: ["in_reply_to": nil],
                sender: .contact(id: conversation.contactId)
            )
            return world.receiveIncoming(draft, in: conversation.id, now: now)
        }
    }

    /// The customer picks an `input_select` option, found by `value`, else by `title`. In the
    /// widget: `message_updated` with `submitted_values = [{title, value}]`; on other channels a
    /// new incoming message with the option's title (Telegram: its value).
    public func customerSelects(_ option: String, of messageId: Int) async throws {
        try await store.mutate { world, now throws(SimulatorError) in
            try world.select(option, ofMessage: messageId, now: now)
        }
    }

    /// The widget visitor submits a form: every field must be filled, as the widget requires.
    public func customerSubmitsForm(_ values: [String: String], of messageId: Int) async throws {
        try await store.mutate { world, now throws(SimulatorError) in
            try world.submitForm(values, ofMessage: messageId, now: now)
        }
    }

    /// The widget visitor answers an `input_email` message; the contact's email is updated too.
    public func customerSubmitsEmail(_ email: String, of messageId: Int) async throws {
        try await store.mutate { world, now throws(SimulatorError) in
            try world.submitEmail(email, ofMessage: messageId, now: now)
        }
    }

    /// Chatwoot's email collect (an inbox with `enable_email_collect`, a widget contact without an
    /// email): a `text` template, then an `input_email` template, both without a sender and both
    /// sent to the bot as `message_created`, even while the bot owns the conversation
    /// (docs/chatwoot-protocol.md §6). Returns the `input_email` message; the visitor answers it
    /// with ``customerSubmitsEmail(_:of:)``, as they would the bot's own.
    @discardableResult
    public func chatwootCollectsEmail(in address: ConversationAddress) async throws -> SimulatedMessage {
        try await store.mutate { world, now throws(SimulatorError) in
            let conversation = try world.existingConversation(address)
            world.postOutgoing(MessageDraft(messageType: .template, content: "Give the team a way to reach you."), in: conversation.id, now: now)
            return world.postOutgoing(MessageDraft(messageType: .template, contentType: .inputEmail, content: "Get notified by email"),
                                      in: conversation.id, now: now)
        }
    }

    /// The visitor rates an `input_csat` survey (1–5), with optional feedback.
    public func customerRatesCSAT(_ rating: Int, feedback: String? = nil, of messageId: Int) async throws {
        try await store.mutate { world, now throws(SimulatorError) in
            try world.rateCSAT(rating, feedback: feedback, ofMessage: messageId, now: now)
        }
    }
}

// MARK: - Agents

extension ChatwootSimulator {
    /// A human agent replies publicly (by default the account's first agent): `message_created`
    /// with `sender.type: "user"`. The status does not change.
    @discardableResult
    public func agentReplies(_ text: String, in address: ConversationAddress, agentId: Int? = nil) async throws
        -> SimulatedMessage
    {
        try await postAsAgent(text, isPrivate: false, in: address, agentId: agentId)
    }

    /// A human agent adds a private note: `message_created` with `private: true`.
    @discardableResult
    public func agentAddsPrivateNote(_ text: String, in address: ConversationAddress, agentId: Int? = nil)
        async throws -> SimulatedMessage
    {
        try await postAsAgent(text, isPrivate: true, in: address, agentId: agentId)
    }

    /// A human agent changes the status: the status events (and a CSAT survey on resolve, when
    /// the inbox has surveys enabled).
    public func agentSetsStatus(
        _ change: ConversationStatusChange,
        in address: ConversationAddress,
        agentId: Int? = nil
    ) async throws {
        try await store.mutate { world, now throws(SimulatorError) in
            let conversation = try world.existingConversation(address)
            let agent = try world.actingAgent(agentId, accountId: address.accountId)
            let (status, until): (ConversationStatus, Date?) =
                switch change {
                case .open: (.open, nil)
                case .resolved: (.resolved, nil)
                case .pending: (.pending, nil)
                case .snoozed(let until): (.snoozed, until)
                }
            world.changeStatus(of: conversation.id, to: status, snoozedUntil: until, by: .agent(id: agent), now: now)
        }
    }

    /// A human agent assigns the conversation to an agent, the bot, a team, or nobody.
    public func agentAssigns(_ assignee: Assignee, in address: ConversationAddress, agentId: Int? = nil) async throws {
        try await store.mutate { world, now throws(SimulatorError) in
            let conversation = try world.existingConversation(address)
            let actor = ChangeAuthor.agent(id: try world.actingAgent(agentId, accountId: address.accountId))
            switch assignee {
            case .agent(let id):
                guard world.agents[id]?.accountId == address.accountId else {
                    throw SimulatorError(.unknownAgent, "There is no agent \(id) in account \(address.accountId)")
                }
                world.assign(.agent(id: id), in: conversation.id, by: actor, now: now)
            case .agentBot(let id):
                world.assign(.bot(id: id), in: conversation.id, by: actor, now: now)
            case .team(let id):
                world.assignTeam(id, in: conversation.id, by: actor, now: now)
            case .unassigned:
                world.assign(nil, in: conversation.id, by: actor, now: now)
            }
        }
    }

    /// A human agent sets or clears the priority.
    public func agentSetsPriority(_ priority: Priority?, in address: ConversationAddress) async throws {
        try await store.mutate { world, now throws(SimulatorError) in
            let conversation = try world.existingConversation(address)
            world.updateConversation(conversation.id, now: now) { $0.priority = priority }
        }
    }

    private func postAsAgent(
        _ text: String,
        isPrivate: Bool,
        in address: ConversationAddress,
        agentId: Int?
    ) async throws -> SimulatedMessage {
        try await store.mutate { world, now throws(SimulatorError) in
            let conversation = try world.existingConversation(address)
            let agent = try world.actingAgent(agentId, accountId: address.accountId)
            let draft = MessageDraft(
                messageType: .outgoing,
                content: text,
                isPrivate: isPrivate,
                sender: .agent(id: agent)
            )
            return world.postOutgoing(draft, in: conversation.id, now: now)
        }
    }
}

// MARK: - Lookup helpers

extension SimulatorWorld {
    func existingConversation(_ address: ConversationAddress) throws(SimulatorError) -> SimulatedConversation {
        guard let conversation = conversation(at: address) else {
            throw SimulatorError(.unknownConversation, "There is no conversation \(address)")
        }
        return conversation
    }

    /// The id of the agent acting in `accountId`: `agentId`, or the account's first agent.
    func actingAgent(_ agentId: Int?, accountId: Int) throws(SimulatorError) -> Int {
        if let agentId {
            guard agents[agentId]?.accountId == accountId else {
                throw SimulatorError(.unknownAgent, "There is no agent \(agentId) in account \(accountId)")
            }
            return agentId
        }
        guard let first = agents.values.filter({ $0.accountId == accountId }).min(by: { $0.id < $1.id }) else {
            throw SimulatorError(.unknownAgent, "Account \(accountId) has no agent; add one with addAgent(_:)")
        }
        return first.id
    }
}
