import Chatwoot
import Foundation
import Simulator
import Testing

/// The webhooks the simulator sends decode with `WebhookEvent.decode` and have the fixtures' key
/// sets, recursively (docs/chatwoot-protocol.md §4, §11). Each test replays the fixture's scenario.
struct WebhookShapeTests {
    /// Checks that `delivery` decodes and has the key shape of `fixture`.
    private func expectShape(_ delivery: WebhookDelivery?, like fixture: String) throws {
        let delivery = try #require(delivery, "No delivery for \(fixture)")
        let decoded = try WebhookEvent.decode(from: delivery.body)
        #expect(decoded.name == delivery.event)
        var actual = try #require(delivery.payload.objectValue)
        var expected = try #require(try fixtureJSON(fixture).objectValue)
        // `changed_attributes` lists what changed in this run; compare its form and the fixture's attributes.
        if case .array(let expectedChanges)? = expected["changed_attributes"] {
            expected["changed_attributes"] = nil
            let changes = try #require(actual.removeValue(forKey: "changed_attributes")?.arrayValue)
            for change in changes {
                let entry = try #require(change.objectValue)
                #expect(entry.count == 1)
                let valueKeys = Set(entry.values.first?.objectValue?.keys ?? [:].keys)
                #expect(valueKeys == ["previous_value", "current_value"])
            }
            let names = Set(changes.compactMap { $0.objectValue?.keys.first })
            let expectedNames = Set(expectedChanges.compactMap { $0.objectValue?.keys.first })
            #expect(expectedNames.isSubset(of: names))
        }
        let differences = KeyShape.differences(.object(actual), .object(expected))
        #expect(differences.isEmpty, "\(fixture): \(differences)")
    }

    @Test func messageCreatedIncoming() async throws {
        try await withHarness { harness in
            let address = try await harness.chatwoot.startConversation(jane)
            try await harness.chatwoot.customerSays("Hi, I need help with my order", in: address)
            await harness.chatwoot.waitForDeliveries()
            let delivery = harness.deliveries("message_created").first
            try expectShape(delivery, like: "webhook-message_created-incoming")
            guard case .messageCreated(let message)? = try delivery.map({ try WebhookEvent.decode(from: $0.body) }) else {
                Issue.record("Not message_created")
                return
            }
            #expect(message.isIncoming)
            #expect(message.senderKind == .contact)
            #expect(message.conversation?.status == .pending)
            #expect(message.conversation?.id == address.conversationId)
            #expect(delivery?.payload["sender"]?["type"] == nil)  // contacts have no type at the top level
            #expect(delivery?.payload["conversation"]?["messages"]?[0]?["sender"]?["type"] == "contact")
            #expect(delivery?.payload["content_attributes"] == ["in_reply_to": nil])
        }
    }

    @Test func messageCreatedOutgoingAndUpdatedSelect() async throws {
        try await withHarness { harness in
            let address = try await harness.chatwoot.startConversation(jane)
            try await harness.chatwoot.customerSays("Hi, I need help with my order", in: address)
            let question = try await harness.api.createMessage(
                .inputSelect("Sure! What do you need help with?", items: orderOptions), in: address
            )
            try await harness.chatwoot.customerSelects("track_order", of: try #require(question.id))
            await harness.chatwoot.waitForDeliveries()
            try expectShape(harness.deliveries("message_created").last, like: "webhook-message_created-outgoing")
            try expectShape(harness.deliveries("message_updated").last, like: "webhook-message_updated-input_select-submitted")
        }
    }

    @Test func messageUpdatedForm() async throws {
        let fixture = try fixtureJSON("webhook-message_updated-form-submitted")
        var attributes = try #require(fixture["content_attributes"]?.objectValue)
        attributes["submitted_values"] = nil
        let items = attributes
        try await withHarness { harness in
            let address = try await harness.chatwoot.startConversation(jane)
            try await harness.chatwoot.customerSays("Hi", in: address)
            let form = try await harness.api.createMessage(
                OutgoingMessage(
                    content: "Please share a few details so I can look up your order.",
                    contentType: .form,
                    contentAttributes: .object(items)
                ),
                in: address
            )
            try await harness.chatwoot.customerSubmitsForm(
                [
                    "email": "jane@example.com", "order_number": "A-10023", "topic": "delivery",
                    "details": "The parcel tracking has not moved for 4 days.",
                ],
                of: try #require(form.id)
            )
            await harness.chatwoot.waitForDeliveries()
            let delivery = harness.deliveries("message_updated").last
            try expectShape(delivery, like: "webhook-message_updated-form-submitted")
            #expect(delivery?.payload["content_attributes"] == fixture["content_attributes"])
        }
    }

    @Test func webwidgetTriggered() async throws {
        try await withHarness { harness in
            let visitor = try await harness.chatwoot.createVisitor(jane)
            try await harness.chatwoot.openWidget(visitor)
            await harness.chatwoot.waitForDeliveries()
            try expectShape(harness.deliveries("webwidget_triggered").first, like: "webhook-webwidget_triggered")
        }
    }

    @Test func conversationEventsOfTheBotHandoff() async throws {
        try await withHarness { harness in
            let address = try await harness.chatwoot.startConversation(jane)
            try await harness.chatwoot.customerSays("Hi, I need help with my order", in: address)
            _ = try await harness.api.createMessage(.text("Thanks, I am connecting you with a human agent now."), in: address)
            _ = try await harness.api.toggleStatus(.open, in: address)
            await harness.chatwoot.waitForDeliveries()
            try expectShape(harness.deliveries("conversation_opened").last, like: "webhook-conversation_opened")
            try expectShape(
                harness.deliveries("conversation_status_changed").last, like: "webhook-conversation_status_changed"
            )
            let updated = harness.deliveries("conversation_updated").last
            try expectShape(updated, like: "webhook-conversation_updated")
            // The hand-off sets `waiting_since` again (the bot's reply had cleared it).
            let changed = updated?.payload["changed_attributes"]?.arrayValue?.compactMap { $0.objectValue?.keys.first }
            #expect(changed == ["status", "waiting_since", "updated_at"])
            guard case .conversationUpdated(let conversation)? = try updated.map({ try WebhookEvent.decode(from: $0.body) })
            else {
                Issue.record("Not conversation_updated")
                return
            }
            #expect(conversation.status == .open)
            #expect(conversation.changedAttributes?["status"]?.previousValue == "pending")
        }
    }

    @Test func conversationResolvedByAnAgent() async throws {
        try await withHarness { harness in
            let address = try await harness.chatwoot.startConversation(jane)
            try await harness.chatwoot.customerSays("Hi", in: address)
            _ = try await harness.api.createMessage(.text("Thanks, I am connecting you with a human agent now."), in: address)
            try await harness.chatwoot.agentAssigns(.agent(id: 2), in: address)
            try await harness.chatwoot.agentSetsStatus(.resolved, in: address)
            await harness.chatwoot.waitForDeliveries()
            try expectShape(harness.deliveries("conversation_resolved").last, like: "webhook-conversation_resolved")
        }
    }

    @Test func humanRepliesAndPrivateNotesReachTheBot() async throws {
        try await withHarness { harness in
            let address = try await harness.chatwoot.startConversation(jane)
            try await harness.chatwoot.agentReplies("Hello from Sam", in: address)
            try await harness.chatwoot.agentAddsPrivateNote("Internal", in: address)
            await harness.chatwoot.waitForDeliveries()
            let created = harness.deliveries("message_created")
            #expect(created.count == 2)
            #expect(created[0].payload["sender"] == ["id": 2, "name": "Sam Agent", "email": "sam@acme.example", "type": "user"])
            #expect(created[1].payload["private"] == true)
            let conversation = try await harness.chatwoot.conversation(address)
            #expect(conversation.firstReplyCreatedAt != nil)
            let transcript = try await harness.chatwoot.transcript(of: address)
            #expect(transcript.map(\.senderKind) == [.user, .user])
            #expect(transcript.map(\.isPrivate) == [false, true])
        }
    }
}
