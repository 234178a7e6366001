import Chatwoot
import Foundation
import Simulator
import Testing

/// Widget answers and `webwidget_triggered` (docs/chatwoot-protocol.md §4.6, §6).
struct WidgetTests {
    @Test func selectingAnOptionSendsMessageUpdatedWithTheChosenItem() async throws {
        try await withHarness { harness in
            let address = try await harness.chatwoot.startConversation(jane)
            let question = try await harness.api.createMessage(.inputSelect("What do you need?", items: orderOptions), in: address)
            let id = try #require(question.id)
            try await harness.chatwoot.customerSelects("return_item", of: id)
            try await harness.chatwoot.customerSelects("Talk to a human", of: id)  // by title
            await harness.chatwoot.waitForDeliveries()

            let updates = harness.deliveries("message_updated")
            #expect(updates.count == 2)
            guard case .messageUpdated(let message) = try WebhookEvent.decode(from: updates[0].body) else {
                Issue.record("Not a message_updated")
                return
            }
            #expect(message.id == id)
            #expect(message.isOutgoing)
            #expect(message.senderKind == .agentBot)
            #expect(updates[0].payload["content_attributes"]?["submitted_values"] == [["title": "Return an item", "value": "return_item"]])
            #expect(updates[1].payload["content_attributes"]?["submitted_values"]?[0]?["value"] == "handoff")
            // The answer touches the conversation (Rails' touch: true): its updated_at moves with
            // each answer, as in the payloads recorded from Chatwoot.
            let touched = updates.compactMap { $0.payload["conversation"]?["updated_at"]?.doubleValue }
            #expect(touched.count == 2 && touched[1] > touched[0], "\(touched)")
            // No incoming message is created for a widget answer.
            #expect(try await harness.chatwoot.transcript(of: address).count { $0.messageType == .incoming } == 0)

            await #expect(throws: SimulatorError.self) {
                try await harness.chatwoot.customerSelects("nope", of: id)
            }
        }
    }

    @Test(arguments: [(SimulatedInbox.whatsAppChannel, "Return an item"), (SimulatedInbox.telegramChannel, "return_item")])
    func outsideTheWidgetAChosenOptionIsANewIncomingMessage(channel: String, content: String) async throws {
        try await withHarness { harness in
            try await harness.chatwoot.addInbox(SimulatedInbox(id: 4, accountId: 1, name: "Chat", channel: channel))
            let address = try await harness.chatwoot.startConversation(jane, inboxId: 4)
            let question = try await harness.api.createMessage(.inputSelect("What do you need?", items: orderOptions), in: address)
            try await harness.chatwoot.customerSelects("return_item", of: try #require(question.id))
            await harness.chatwoot.waitForDeliveries()
            #expect(harness.deliveries("message_updated").isEmpty)
            let incoming = try await harness.chatwoot.transcript(of: address).filter { $0.messageType == .incoming }
            #expect(incoming.map(\.content) == [content])
            #expect(harness.deliveries("message_created").contains { $0.payload["content"]?.stringValue == content && $0.payload["message_type"] == "incoming" })
        }
    }

    @Test func formSubmissionListsEveryFieldInFormOrder() async throws {
        try await withHarness { harness in
            let address = try await harness.chatwoot.startConversation(jane)
            let form = try await harness.api.createMessage(
                .form("Details", items: [
                    FormItem(name: "email", label: "Email", type: .email),
                    FormItem(name: "order_number", label: "Order", type: .text),
                ]),
                in: address
            )
            let id = try #require(form.id)
            await #expect(throws: SimulatorError.self) {
                try await harness.chatwoot.customerSubmitsForm(["email": "jane@example.com"], of: id)
            }
            try await harness.chatwoot.customerSubmitsForm(["order_number": "A-10023", "email": "jane@example.com"], of: id)
            await harness.chatwoot.waitForDeliveries()
            let update = try #require(harness.deliveries("message_updated").last)
            #expect(update.payload["content_attributes"]?["submitted_values"] == [
                ["name": "email", "value": "jane@example.com"], ["name": "order_number", "value": "A-10023"],
            ])
        }
    }

    @Test func emailAnswerSetsSubmittedEmailAndTheContactsEmail() async throws {
        try await withHarness { harness in
            let visitor = try await harness.chatwoot.createVisitor(VisitorProfile(name: "Anon"))
            let address = try await harness.chatwoot.startConversation(for: visitor)
            let prompt = try await harness.api.createMessage(.inputEmail("Your email?"), in: address)
            try await harness.chatwoot.customerSubmitsEmail("anon@example.com", of: try #require(prompt.id))
            await harness.chatwoot.waitForDeliveries()
            let update = try #require(harness.deliveries("message_updated").last)
            #expect(update.payload["content_attributes"]?["submitted_email"] == "anon@example.com")
            #expect(try await harness.chatwoot.contact(visitor.contactId).email == "anon@example.com")
        }
    }

    @Test func chatwootsEmailCollectIsTwoTemplatesWithoutASender() async throws {
        try await withHarness { harness in
            let visitor = try await harness.chatwoot.createVisitor(VisitorProfile(name: "Anon"))
            let address = try await harness.chatwoot.startConversation(for: visitor)
            let box = try await harness.chatwoot.chatwootCollectsEmail(in: address)
            try await harness.chatwoot.customerSubmitsEmail("anon@example.com", of: box.id)
            await harness.chatwoot.waitForDeliveries()
            let created = harness.deliveries("message_created").suffix(2).map(\.payload)
            #expect(created.map { $0["message_type"] } == ["template", "template"])
            #expect(created.map { $0["content_type"] } == ["text", "input_email"])
            #expect(created.allSatisfy { $0["sender"] == .null })
            let update = try #require(harness.deliveries("message_updated").last)
            #expect(update.payload["id"] == .int(box.id))
            #expect(update.payload["message_type"] == "template" && update.payload["sender"] == .null)
            #expect(update.payload["content_attributes"]?["submitted_email"] == "anon@example.com")
        }
    }

    @Test func csatRatingIsAnObjectNotAnArray() async throws {
        try await withHarness { harness in
            let address = try await harness.chatwoot.startConversation(jane)
            let survey = try await harness.api.createMessage(.inputCSAT("Rate us"), in: address)
            try await harness.chatwoot.customerRatesCSAT(5, feedback: "Great", of: try #require(survey.id))
            await harness.chatwoot.waitForDeliveries()
            let update = try #require(harness.deliveries("message_updated").last)
            #expect(update.payload["content_attributes"]?["submitted_values"] == [
                "csat_survey_response": ["rating": 5, "feedback_message": "Great"]
            ])
            guard case .messageUpdated(let message) = try WebhookEvent.decode(from: update.body) else {
                Issue.record("Not a message_updated")
                return
            }
            #expect(message.contentType == .inputCSAT)
        }
    }

    @Test func openingTheWidgetSendsWebwidgetTriggeredWithTheLatestConversation() async throws {
        try await withHarness { harness in
            let visitor = try await harness.chatwoot.createVisitor(jane)
            try await harness.chatwoot.openWidget(visitor)
            let address = try await harness.chatwoot.startConversation(for: visitor, openingWidgetFirst: true)
            await harness.chatwoot.waitForDeliveries()
            let triggers = harness.deliveries("webwidget_triggered")
            #expect(triggers.count == 2)
            #expect(triggers.allSatisfy { $0.payload["current_conversation"] == .null })
            #expect(triggers[0].payload["source_id"] == .string(visitor.sourceId))

            try await harness.chatwoot.openWidget(visitor)
            await harness.chatwoot.waitForDeliveries()
            let third = try #require(harness.deliveries("webwidget_triggered").last)
            #expect(third.payload["current_conversation"]?["id"] == .int(address.conversationId))
            #expect(third.conversationId == address.conversationId)
        }
    }
}
