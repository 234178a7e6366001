import Chatwoot
import Foundation
import Testing

/// Every fixture in `Tests/Fixtures/chatwoot` decodes to the right event with the right fields.
struct WebhookEventFixtureTests {
    private func decode(_ name: String) throws -> WebhookEvent {
        try WebhookEvent.decode(from: Fixtures.data(name))
    }

    @Test func incomingMessageCreatedCarriesCustomerMessageAndPendingConversation() throws {
        let event = try decode("webhook-message_created-incoming")
        guard case .messageCreated(let message) = event else {
            Issue.record("Expected messageCreated, got \(event.name)")
            return
        }
        #expect(event.name == "message_created")
        #expect(message.id == 9001)
        #expect(message.content == "Hi, I need help with my order")
        #expect(message.messageType == .incoming)
        #expect(message.isIncoming && !message.isOutgoing && !message.isTemplate)
        #expect(message.isPrivate == false)
        #expect(message.contentType == .text)
        #expect(message.contentAttributes?["in_reply_to"] == .null)
        #expect(message.createdAt == "2026-05-13T09:15:42.318Z")
        #expect(message.senderKind == .contact)
        #expect(message.sender?.id == 42)
        #expect(message.sender?.contact?.email == "jane@example.com")
        #expect(message.sender?.contact?.account?.id == 1)
        #expect(message.inbox == InboxRef(id: 3, name: "Acme Website"))
        #expect(message.account == AccountRef(id: 1, name: "Acme Inc"))
        #expect(message.submittedAnswer == nil)

        #expect(event.conversationDisplayId == 128)
        #expect(event.accountId == 1)
        #expect(event.inboxId == 3)
        #expect(event.conversationStatus == .pending)
        #expect(event.conversationAddress == ConversationAddress(accountId: 1, conversationId: 128))

        let conversation = try #require(message.conversation)
        #expect(conversation.channel == "Channel::WebWidget")
        #expect(conversation.contactInbox?.sourceId == "3b7a1f0e-6c3d-4d4e-9d6a-2f1c0b8e5a11")
        #expect(conversation.meta?.sender?.kind == .contact)
        #expect(conversation.meta?.assignee == nil)
        #expect(conversation.priority == nil)
        #expect(conversation.waitingSince == 1_778_663_741)
        #expect(conversation.updatedAt == 1_778_663_742.351829)
        // Nested push shape: message_type is the integer 0.
        let nested = try #require(conversation.messages?.first)
        #expect(nested.messageType == .incoming)
        #expect(nested.createdAt == 1_778_663_742)
        #expect(nested.status == .sent)
        #expect(nested.senderKind == .contact)
        #expect(nested.senderType == "Contact")
    }

    @Test func outgoingMessageCreatedIsTheBotsOwnEcho() throws {
        let event = try decode("webhook-message_created-outgoing")
        let message = try #require(event.message)
        #expect(event.name == "message_created")
        #expect(message.id == 9002)
        #expect(message.messageType == .outgoing)
        #expect(message.isOutgoing)
        #expect(message.senderKind == .agentBot)
        #expect(message.sender?.id == 5)
        #expect(message.sender?.contact == nil)
        #expect(message.contentType == .inputSelect)
        #expect(message.contentAttributes?["items"]?.arrayValue?.count == 3)
        let nested = try #require(message.conversation?.messages?.first)
        #expect(nested.messageType == .outgoing)  // integer 1 in the push shape
        #expect(nested.contentType == .inputSelect)
        #expect(nested.senderKind == .agentBot)
        #expect(nested.sender?.avatarURL == "")
    }

    @Test func inputSelectSubmissionGivesTheChosenItem() throws {
        let event = try decode("webhook-message_updated-input_select-submitted")
        guard case .messageUpdated(let message) = event else {
            Issue.record("Expected messageUpdated, got \(event.name)")
            return
        }
        #expect(message.id == 9002)
        #expect(message.isOutgoing)
        #expect(message.senderKind == .agentBot)
        #expect(message.submittedValues == .values([SubmittedValue(title: "Track my order", value: "track_order")]))
        #expect(message.submittedValues?.firstValue == "track_order")
        #expect(message.submittedAnswer == .selection(SubmittedValue(title: "Track my order", value: "track_order")))
        #expect(message.submittedAnswer?.text == "track_order")
        #expect(event.conversationStatus == .pending)
    }

    @Test func formSubmissionGivesAllNameValuePairs() throws {
        let event = try decode("webhook-message_updated-form-submitted")
        let message = try #require(event.message)
        #expect(event.name == "message_updated")
        #expect(message.contentType == .form)
        guard case .form(let entries)? = message.submittedAnswer else {
            Issue.record("Expected a form answer, got \(String(describing: message.submittedAnswer))")
            return
        }
        #expect(entries.map(\.name) == ["email", "order_number", "topic", "details"])
        #expect(
            message.submittedAnswer?.formValues == [
                "email": "jane@example.com",
                "order_number": "A-10023",
                "topic": "delivery",
                "details": "The parcel tracking has not moved for 4 days.",
            ]
        )
        // docs/chatwoot-protocol.md §8: the reference bot reads submitted_values[0].value.
        #expect(message.submittedAnswer?.text == "jane@example.com")
    }

    @Test func webwidgetTriggeredForFirstTimeVisitorHasNoConversation() throws {
        let event = try decode("webhook-webwidget_triggered")
        guard case .webwidgetTriggered(let trigger) = event else {
            Issue.record("Expected webwidgetTriggered, got \(event.name)")
            return
        }
        #expect(trigger.id == 57)
        #expect(trigger.sourceId == "3b7a1f0e-6c3d-4d4e-9d6a-2f1c0b8e5a11")
        #expect(trigger.contact?.id == 42)
        #expect(trigger.contact?.name == "Jane Doe")
        #expect(trigger.currentConversation == nil)
        #expect(trigger.eventInfo?["widget_language"] == "en")
        #expect(trigger.eventInfo?["referer"] == "https://www.acme.example/orders")
        #expect(event.accountId == 1)
        #expect(event.inboxId == 3)
        #expect(event.conversation == nil)
        #expect(event.conversationAddress == nil)
    }

    @Test func conversationStatusChangedHasNullChangedAttributes() throws {
        let event = try decode("webhook-conversation_status_changed")
        guard case .conversationStatusChanged(let conversation) = event else {
            Issue.record("Expected conversationStatusChanged, got \(event.name)")
            return
        }
        #expect(conversation.id == 128)
        #expect(conversation.status == .open)
        #expect(conversation.changedAttributes == nil)
        #expect(event.accountId == 1)  // from messages[0].account_id: no account object here
        #expect(event.inboxId == 3)
        #expect(event.conversationAddress == ConversationAddress(accountId: 1, conversationId: 128))
    }

    @Test func conversationOpenedIsTheLegacyEventForTheSameTransition() throws {
        let event = try decode("webhook-conversation_opened")
        guard case .conversationOpened(let conversation) = event else {
            Issue.record("Expected conversationOpened, got \(event.name)")
            return
        }
        #expect(conversation.status == .open)
        #expect(conversation.meta?.assignee == nil)
        #expect(conversation.messages?.first?.senderKind == .agentBot)
        #expect(conversation.updatedAt == 1_778_663_826.004871)
    }

    @Test func conversationUpdatedListsChangedAttributesInArrayForm() throws {
        let event = try decode("webhook-conversation_updated")
        guard case .conversationUpdated(let conversation) = event else {
            Issue.record("Expected conversationUpdated, got \(event.name)")
            return
        }
        let changes = try #require(conversation.changedAttributes)
        #expect(changes.attributes == ["status", "updated_at"])
        #expect(changes["status"]?.previousValue == "pending")
        #expect(changes["status"]?.currentValue == "open")
        #expect(changes["updated_at"]?.currentValue == "2026-05-13T09:17:06.004Z")
        #expect(changes["priority"] == nil)
    }

    @Test func conversationResolvedByHumanHasUserAssignee() throws {
        let event = try decode("webhook-conversation_resolved")
        guard case .conversationResolved(let conversation) = event else {
            Issue.record("Expected conversationResolved, got \(event.name)")
            return
        }
        #expect(conversation.status == .resolved)
        #expect(conversation.labels == ["delivery"])
        #expect(conversation.meta?.assignee?.kind == .user)
        #expect(conversation.meta?.assignee?.id == 2)
        #expect(conversation.meta?.assignee?.availableName == "Sam Agent")
        #expect(conversation.meta?.assigneeType == "User")
        #expect(conversation.waitingSince == 0)
    }

    @Test(arguments: Fixtures.webhookNames)
    func fixtureEventNameMatchesFileAndSurvivesEncodingRoundTrip(name: String) throws {
        let data = try Fixtures.data(name)
        let event = try WebhookEvent.decode(from: data)
        let wireName = try #require(try JSONMutation.object(data)["event"]?.stringValue)
        #expect(event.name == wireName)
        #expect(name.hasPrefix("webhook-\(wireName)"))
        if case .unknown = event { Issue.record("\(name) decoded as unknown") }

        let reencoded = try JSONEncoder().encode(event)
        #expect(try WebhookEvent.decode(from: reencoded) == event)
    }
}
