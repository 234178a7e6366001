import Chatwoot
import Foundation
import Simulator
import Testing

/// Status rules and their webhooks (docs/chatwoot-protocol.md §2, §7.3, §8).
struct ConversationStatusTests {
    @Test func newConversationStartsPendingWithAnActiveBotAndOpenWithout() async throws {
        try await withHarness { harness in
            let withBot = try await harness.chatwoot.startConversation(jane)
            #expect(try await harness.chatwoot.conversation(withBot).status == .pending)
            try await harness.chatwoot.setBotActive(false)
            let withoutBot = try await harness.chatwoot.startConversation(jane)
            #expect(try await harness.chatwoot.conversation(withoutBot).status == .open)
            #expect(withoutBot.conversationId == withBot.conversationId + 1)
        }
    }

    @Test func botHandoffAnswersSuccessNullAndSendsStatusEvents() async throws {
        try await withHarness { harness in
            let address = try await harness.chatwoot.startConversation(jane)
            try await harness.chatwoot.customerSays("Human please", in: address)
            await harness.chatwoot.waitForDeliveries()
            let response = try await harness.call(.POST, Harness.path(address, "toggle_status"), json: #"{"status":"open"}"#)
            #expect(response.status == 200)
            let body = try #require(response.body)
            #expect(body == [
                "meta": [:],
                "payload": [
                    "success": nil, "conversation_id": .int(address.conversationId), "current_status": "open",
                    "snoozed_until": nil,
                ],
            ])
            #expect(KeyShape.differences(body, try fixtureJSON("api-toggle-status-response")).isEmpty)

            await harness.chatwoot.waitForDeliveries()
            let events = harness.chatwoot.deliveries.map(\.event).suffix(3)
            #expect(Array(events) == ["conversation_opened", "conversation_status_changed", "conversation_updated"])
            let updated = try #require(harness.deliveries("conversation_updated").last)
            #expect(updated.payload["changed_attributes"]?[0] == [
                "status": ["previous_value": "pending", "current_value": "open"]
            ])
            #expect(harness.deliveries("conversation_status_changed").last?.payload["changed_attributes"] == .null)
            #expect(try await harness.chatwoot.conversation(address).status == .open)
        }
    }

    @Test func otherTransitionsAnswerSuccessTrue() async throws {
        try await withHarness { harness in
            let address = try await harness.chatwoot.startConversation(jane)
            let result = try await harness.api.toggleStatus(.resolved, in: address)
            #expect(result.success == true)
            #expect(result.currentStatus == .resolved)
            await harness.chatwoot.waitForDeliveries()
            #expect(harness.deliveries("conversation_resolved").count == 1)
            #expect(harness.deliveries("conversation_opened").isEmpty)

            // No status: the old toggle (resolved → open).
            let toggled = try await harness.call(.POST, Harness.path(address, "toggle_status"), json: "{}")
            #expect(toggled.body?["payload"]?["current_status"] == "open")
            #expect(toggled.body?["payload"]?["success"] == true)
        }
    }

    @Test func snoozeKeepsSnoozedUntilAndAnIncomingMessageReopensToOpen() async throws {
        try await withHarness { harness in
            let address = try await harness.chatwoot.startConversation(jane)
            let until = Date(timeIntervalSince1970: 1_900_000_000)
            let result = try await harness.api.toggleStatus(.snoozed(until: until), in: address)
            #expect(result.currentStatus == .snoozed)
            #expect(result.snoozedUntil == "2030-03-17T17:46:40.000Z")
            #expect(try await harness.chatwoot.conversation(address).snoozedUntil == until)

            try await harness.chatwoot.customerSays("Any news?", in: address)
            let conversation = try await harness.chatwoot.conversation(address)
            #expect(conversation.status == .open)
            #expect(conversation.snoozedUntil == nil)
            await harness.chatwoot.waitForDeliveries()
            let created = try #require(harness.deliveries("message_created").last)
            #expect(created.payload["conversation"]?["status"] == "open")
        }
    }

    @Test func incomingMessageTurnsAResolvedConversationBackToPendingBeforeMessageCreated() async throws {
        try await withHarness { harness in
            let address = try await harness.chatwoot.startConversation(jane)
            try await harness.chatwoot.agentSetsStatus(.resolved, in: address)
            await harness.chatwoot.waitForDeliveries()
            let before = harness.chatwoot.deliveries.count

            try await harness.chatwoot.customerSays("One more question", in: address)
            await harness.chatwoot.waitForDeliveries()
            let events = harness.chatwoot.deliveries.dropFirst(before).map(\.event)
            #expect(events == ["conversation_status_changed", "conversation_updated", "message_created"])
            let created = try #require(harness.deliveries("message_created").last)
            #expect(created.payload["conversation"]?["status"] == "pending")
            #expect(try await harness.chatwoot.conversation(address).status == .pending)
            let transcript = try await harness.chatwoot.transcript(of: address)
            #expect(transcript.last(where: { $0.messageType == .activity })?.content == ActivityText.systemAutoOpen)
        }
    }

    @Test func resolvedConversationReopensToOpenWhenTheBotIsDisconnected() async throws {
        try await withHarness { harness in
            let address = try await harness.chatwoot.startConversation(jane)
            try await harness.chatwoot.agentSetsStatus(.resolved, in: address)
            try await harness.chatwoot.setBotActive(false)
            await harness.chatwoot.waitForDeliveries()
            let before = harness.chatwoot.deliveries.count
            try await harness.chatwoot.customerSays("Hello again", in: address)
            #expect(try await harness.chatwoot.conversation(address).status == .open)
            await harness.chatwoot.waitForDeliveries()
            #expect(harness.chatwoot.deliveries.count == before)  // the bot no longer receives events
        }
    }

    @Test func agentResolveSendsResolvedWithUserAssigneeAndOptionalCSAT() async throws {
        var configuration = SimulatorConfiguration.testing
        configuration.inboxes[0].csatSurveyEnabled = true
        try await withHarness(configuration) { harness in
            let address = try await harness.chatwoot.startConversation(jane)
            try await harness.chatwoot.agentAssigns(.agent(id: 2), in: address)
            try await harness.chatwoot.agentSetsStatus(.resolved, in: address)
            await harness.chatwoot.waitForDeliveries()
            let resolved = try #require(harness.deliveries("conversation_resolved").last)
            #expect(resolved.payload["meta"]?["assignee_type"] == "User")
            #expect(resolved.payload["meta"]?["assignee"]?["type"] == "user")
            let survey = try #require(harness.deliveries("message_created").last)
            #expect(survey.payload["content_type"] == "input_csat")
            #expect(survey.payload["message_type"] == "template")
            #expect(survey.payload["sender"] == .null)
            let transcript = try await harness.chatwoot.transcript(of: address)
            #expect(transcript.contains { $0.content == "Conversation was marked resolved by Sam Agent" })
        }
    }

    /// Chatwoot's csat_already_sent?: no survey when the conversation has one already, the bot's
    /// own included — and none on a second resolve.
    @Test func noSecondCSATSurvey() async throws {
        var configuration = SimulatorConfiguration.testing
        configuration.inboxes[0].csatSurveyEnabled = true
        try await withHarness(configuration) { harness in
            let botAsked = try await harness.chatwoot.startConversation(jane)
            _ = try await harness.api.createMessage(.inputCSAT("Rate us"), in: botAsked)
            try await harness.chatwoot.agentSetsStatus(.resolved, in: botAsked)
            #expect(try await harness.chatwoot.transcript(of: botAsked).filter { $0.contentType == .inputCSAT }.count == 1)

            let twice = try await harness.chatwoot.startConversation(jane)
            try await harness.chatwoot.agentSetsStatus(.resolved, in: twice)
            _ = try await harness.chatwoot.customerSays("one more thing", in: twice)
            try await harness.chatwoot.agentSetsStatus(.resolved, in: twice)
            #expect(try await harness.chatwoot.transcript(of: twice).filter { $0.contentType == .inputCSAT }.count == 1)
        }
    }

    @Test func invalidStatusIsAServerError() async throws {
        try await withHarness { harness in
            let address = try await harness.chatwoot.startConversation(jane)
            let response = try await harness.call(.POST, Harness.path(address, "toggle_status"), json: #"{"status":"closed"}"#)
            #expect(response.status == 500)
        }
    }
}
