import Chatwoot
import Foundation
import Simulator
import Testing

/// Priority, custom attributes, assignments, typing and PATCH (docs/chatwoot-protocol.md §7.4).
struct ConversationEndpointsTests {
    @Test func togglePrioritySetsAndClearsThePriority() async throws {
        try await withHarness { harness in
            let address = try await harness.chatwoot.startConversation(jane)
            try await harness.api.togglePriority(.urgent, in: address)
            #expect(try await harness.chatwoot.conversation(address).priority == .urgent)
            try await harness.api.togglePriority(nil, in: address)
            #expect(try await harness.chatwoot.conversation(address).priority == nil)
            await harness.chatwoot.waitForDeliveries()
            let updates = harness.deliveries("conversation_updated").map { $0.payload["changed_attributes"]?[0]?["priority"] }
            #expect(updates == [
                ["previous_value": nil, "current_value": "urgent"], ["previous_value": "urgent", "current_value": nil],
            ])
            let invalid = try await harness.call(.POST, Harness.path(address, "toggle_priority"), json: #"{"priority":"asap"}"#)
            #expect(invalid.status == 500)
        }
    }

    @Test func patchSetsPriorityAndReturnsTheConversation() async throws {
        try await withHarness { harness in
            let address = try await harness.chatwoot.startConversation(jane)
            let response = try await harness.call(.PATCH, Harness.path(address), json: #"{"priority":"high"}"#)
            #expect(response.status == 200)
            #expect(response.body?["id"] == .int(address.conversationId))
            #expect(response.body?["priority"] == "high")
            #expect(response.body?["meta"]?["sender"]?["type"] == "contact")
            let put = try await harness.call(.PUT, Harness.path(address), json: #"{"priority":"low"}"#)
            #expect(put.body?["priority"] == "low")
        }
    }

    @Test func customAttributesReplaceTheWholeHash() async throws {
        try await withHarness { harness in
            let address = try await harness.chatwoot.startConversation(jane)
            let first = try await harness.api.updateCustomAttributes(["order": "A-1", "tier": "gold"], in: address)
            #expect(first == ["order": "A-1", "tier": "gold"])
            let second = try await harness.api.updateCustomAttributes(["order": "A-2"], in: address)
            #expect(second == ["order": "A-2"])
            #expect(try await harness.chatwoot.conversation(address).customAttributes == ["order": "A-2"])
        }
    }

    @Test func assignmentsAssignAgentsTheBotAndTeams() async throws {
        try await withHarness { harness in
            let address = try await harness.chatwoot.startConversation(jane)

            let agent = try await harness.api.assign(.agent(id: 2), in: address)
            #expect(agent["id"] == 2)
            #expect(agent["role"] == "agent")
            #expect(try await harness.chatwoot.conversation(address).assignee == .agent(id: 2))

            let bot = try await harness.api.assign(.agentBot(id: 5), in: address)
            #expect(bot["bot_type"] == "webhook")
            #expect(try await harness.chatwoot.conversation(address).assignee == .bot(id: 5))

            // Assigning a human clears the bot assignee.
            _ = try await harness.api.assign(.agent(id: 2), in: address)
            #expect(try await harness.chatwoot.conversation(address).assignee == .agent(id: 2))

            let team = try await harness.api.assign(.team(id: 1), in: address)
            #expect(team["name"] == "Support")
            #expect(try await harness.chatwoot.conversation(address).teamId == 1)

            let nobody = try await harness.api.assign(.unassigned, in: address)
            #expect(nobody == .null)
            #expect(try await harness.chatwoot.conversation(address).assignee == nil)

            await harness.chatwoot.waitForDeliveries()
            let botAssigned = harness.deliveries("conversation_updated").compactMap {
                $0.payload["changed_attributes"]?.arrayValue?.compactMap { $0["assignee_agent_bot_id"] }.first
            }
            #expect(botAssigned.first == ["previous_value": nil, "current_value": 5])
        }
    }

    @Test func assigneeBotReceivesEventsOfInboxesWithoutBot() async throws {
        try await withHarness { harness in
            try await harness.chatwoot.setBotActive(false)
            let address = try await harness.chatwoot.startConversation(jane)
            try await harness.chatwoot.customerSays("Hello", in: address)
            await harness.chatwoot.waitForDeliveries()
            #expect(harness.chatwoot.deliveries.isEmpty)

            try await harness.chatwoot.agentAssigns(.agentBot(id: 5), in: address)
            try await harness.chatwoot.customerSays("Still there?", in: address)
            await harness.chatwoot.waitForDeliveries()
            #expect(harness.deliveries("message_created").count == 1)
        }
    }

    @Test func typingStatusIsStoredAndAnsweredEmpty() async throws {
        try await withHarness { harness in
            let address = try await harness.chatwoot.startConversation(jane)
            try await harness.api.toggleTyping(on: true, isPrivate: false, in: address)
            #expect(try await harness.chatwoot.conversation(address).botTypingStatus == "on")
            let response = try await harness.call(.POST, Harness.path(address, "toggle_typing_status"), json: #"{"typing_status":"off"}"#)
            #expect(response.status == 200)
            #expect(response.text.isEmpty)
        }
    }

    @Test func createConversationForAnExistingContact() async throws {
        try await withHarness { harness in
            let visitor = try await harness.chatwoot.createVisitor(jane)
            let response = try await harness.call(
                .POST, "/api/v1/accounts/1/conversations",
                json: #"{"inbox_id":3,"contact_id":\#(visitor.contactId)}"#
            )
            #expect(response.status == 200)
            let id = try #require(response.body?["id"]?.intValue)
            let conversation = try await harness.chatwoot.conversation(ConversationAddress(accountId: 1, conversationId: id))
            #expect(conversation.status == .pending)
            #expect(conversation.contactId == visitor.contactId)
            // Chatwoot's determine_conversation_status: with an active bot it is pending, whatever was asked.
            let asked = try await harness.call(.POST, "/api/v1/accounts/1/conversations",
                                               json: #"{"inbox_id":3,"contact_id":\#(visitor.contactId),"status":"open"}"#)
            let askedId = try #require(asked.body?["id"]?.intValue)
            #expect(try await harness.chatwoot.conversation(ConversationAddress(accountId: 1, conversationId: askedId)).status == .pending)
        }
    }
}
