import Chatwoot

// The serializers of accounts, inboxes, contacts, users and the bot (docs/chatwoot-protocol.md §4.2, §4.4).
extension SimulatorWorld {
    /// `Account#webhook_data`: `{id, name}`.
    func accountRef(_ id: Int) -> JSONValue {
        ["id": .int(id), "name": .string(accounts[id]?.name ?? "")]
    }

    /// `Inbox#webhook_data`: `{id, name}`.
    func inboxRef(_ id: Int) -> JSONValue {
        ["id": .int(id), "name": .string(inboxes[id]?.name ?? "")]
    }

    /// `Contact#webhook_data`: the top-level `sender` of incoming messages. It has **no** `type` key.
    func contactWebhookData(_ contact: SimulatedContact) -> JSONValue {
        [
            "account": accountRef(contact.accountId),
            "additional_attributes": .object(contact.additionalAttributes),
            "avatar": "",
            "custom_attributes": .object(contact.customAttributes),
            "email": contact.email.map(JSONValue.string) ?? .null,
            "id": .int(contact.id),
            "identifier": contact.identifier.map(JSONValue.string) ?? .null,
            "name": .string(contact.name),
            "phone_number": contact.phoneNumber.map(JSONValue.string) ?? .null,
            "thumbnail": "",
            "blocked": .bool(contact.blocked),
        ]
    }

    /// `Contact#push_event_data`: nested senders and `meta.sender`, with `type: "contact"`.
    func contactPush(_ contact: SimulatedContact) -> JSONValue {
        [
            "additional_attributes": .object(contact.additionalAttributes),
            "custom_attributes": .object(contact.customAttributes),
            "email": contact.email.map(JSONValue.string) ?? .null,
            "id": .int(contact.id),
            "identifier": contact.identifier.map(JSONValue.string) ?? .null,
            "name": .string(contact.name),
            "phone_number": contact.phoneNumber.map(JSONValue.string) ?? .null,
            "thumbnail": "",
            "blocked": .bool(contact.blocked),
            "type": "contact",
        ]
    }

    /// `User#webhook_data`: `{id, name, email, type: "user"}`.
    func userWebhookData(_ agent: SimulatedAgent) -> JSONValue {
        ["id": .int(agent.id), "name": .string(agent.name), "email": .string(agent.email), "type": "user"]
    }

    /// `User#push_event_data`.
    func userPush(_ agent: SimulatedAgent) -> JSONValue {
        [
            "id": .int(agent.id),
            "name": .string(agent.name),
            "available_name": .string(agent.name),
            "avatar_url": "",
            "type": "user",
            "availability_status": .string(agent.availabilityStatus),
            "thumbnail": "",
        ]
    }

    /// `AgentBot#webhook_data`: `{id, name, type: "agent_bot"}`.
    func botWebhookData() -> JSONValue {
        ["id": .int(bot.id), "name": .string(bot.name), "type": "agent_bot"]
    }

    /// `AgentBot#push_event_data`: `{id, name, avatar_url, type: "agent_bot"}`.
    func botPush() -> JSONValue {
        ["id": .int(bot.id), "name": .string(bot.name), "avatar_url": "", "type": "agent_bot"]
    }

    /// The `webhook_data` of a message's sender, or `null` for system messages.
    func senderWebhookData(_ sender: SimulatedParticipant?) -> JSONValue {
        switch sender {
        case .contact(let id): contacts[id].map(contactWebhookData) ?? .null
        case .agent(let id): agents[id].map(userWebhookData) ?? .null
        case .bot: botWebhookData()
        case nil: .null
        }
    }

    /// The `push_event_data` of a participant, or `nil` when unknown.
    func participantPush(_ participant: SimulatedParticipant?) -> JSONValue? {
        switch participant {
        case .contact(let id): contacts[id].map(contactPush)
        case .agent(let id): agents[id].map(userPush)
        case .bot: botPush()
        case nil: nil
        }
    }
}
