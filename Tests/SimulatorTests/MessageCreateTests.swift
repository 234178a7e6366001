import Chatwoot
import Foundation
import Simulator
import Testing

/// `POST …/messages` (docs/chatwoot-protocol.md §6, §7.2): responses, echoes and `ContentAttributeValidator`.
struct MessageCreateTests {
    @Test func inputSelectAnswersLikeTheFixtureAndIsEchoed() async throws {
        try await withHarness { harness in
            let address = try await harness.chatwoot.startConversation(jane)
            try await harness.chatwoot.customerSays("Hi, I need help with my order", in: address)
            let response = try await harness.call(
                .POST, Harness.path(address, "messages"),
                json: #"{"content":"Sure! What do you need help with?","content_type":"input_select","#
                    + #""content_attributes":{"items":[{"title":"Track my order","value":"track_order"},"#
                    + #"{"title":"Return an item","value":"return_item"},{"title":"Talk to a human","value":"handoff"}]}}"#
            )
            #expect(response.status == 200)
            let body = try #require(response.body)
            #expect(KeyShape.differences(body, try fixtureJSON("api-message-create-response")).isEmpty)
            #expect(body["message_type"] == 1)
            #expect(body["conversation_id"] == .int(address.conversationId))
            #expect(body["sender"]?["type"] == "agent_bot")

            await harness.chatwoot.waitForDeliveries()
            let echo = try #require(harness.deliveries("message_created").last)
            #expect(echo.lastStatus == 200)
            #expect(echo.payload["id"] == body["id"])
            #expect(echo.payload["message_type"] == "outgoing")
            #expect(echo.payload["sender"] == ["id": 5, "name": "Acme Assistant", "type": "agent_bot"])
            #expect(echo.payload["conversation"]?["messages"]?[0]?["message_type"] == 1)
            #expect(echo.payload["content_attributes"]?["items"]?[2]?["value"] == "handoff")
            #expect(KeyShape.differences(echo.payload, try fixtureJSON("webhook-message_created-outgoing")).isEmpty)
        }
    }

    @Test func everyInteractiveTypeIsStoredAndEchoedWithItsAttributes() async throws {
        let messages: [OutgoingMessage] = [
            .text("Plain"),
            .inputSelect("Pick one", items: orderOptions),
            .form("Details?", items: [FormItem(name: "email", label: "Email", type: .email, required: true)]),
            .cards([Card(title: "Parcel", description: "Tracked", mediaURL: nil, actions: [.link(text: "Open", uri: "https://acme.example")])]),
            .articles([ArticleItem(title: "Returns", description: "How to", link: "https://acme.example/returns")]),
            .inputEmail("Your email?"),
            .inputCSAT("Rate us"),
        ]
        try await withHarness { harness in
            let address = try await harness.chatwoot.startConversation(jane)
            for message in messages {
                let created = try await harness.api.createMessage(message, in: address)
                #expect(created.contentType == message.contentType)
                #expect(created.contentAttributes == (message.contentAttributes ?? [:]))
            }
            await harness.chatwoot.waitForDeliveries()
            let echoes = harness.deliveries("message_created")
            #expect(echoes.map { $0.payload["content_type"]?.stringValue } == messages.map { $0.contentType.rawValue })
            for (echo, message) in zip(echoes, messages) {
                #expect(echo.payload["content_attributes"] == (message.contentAttributes ?? [:]))
                guard case .messageCreated(let decoded) = try WebhookEvent.decode(from: echo.body) else {
                    Issue.record("Not a message_created")
                    continue
                }
                #expect(decoded.isOutgoing)
                #expect(decoded.senderKind == .agentBot)
            }
            let transcript = try await harness.chatwoot.transcript(of: address)
            #expect(transcript.map(\.contentType) == messages.map(\.contentType))
        }
    }

    @Test(arguments: [
        (
            #"{"content_type":"input_select","content_attributes":{"items":[{"title":"A","value":"a","color":"red"}]}}"#,
            "Validation failed: Content attributes contains invalid keys for items : [:color]"
        ),
        (
            #"{"content_type":"input_select","content_attributes":{"items":[]}}"#,
            "Validation failed: Content attributes At least one item is required."
        ),
        (
            #"{"content_type":"form","content_attributes":{"items":[{"name":"a","labl":"A","x-y":1},{"name":"b","labl":"B"}]}}"#,
            #"Validation failed: Content attributes contains invalid keys for items : [:labl, :"x-y", :labl]"#
        ),
        (
            #"{"content_type":"cards","content_attributes":{"items":[{"title":"T","actions":[]}]}}"#,
            "Validation failed: Content attributes contains items missing actions"
        ),
        (
            #"{"content_type":"cards","content_attributes":{"items":[{"title":"T","actions":[{"type":"link","text":"x","href":"y"}]}]}}"#,
            "Validation failed: Content attributes contains invalid keys for actions:  [:href]"
        ),
        (
            #"{"content_type":"article","content_attributes":"{\"items\":[{\"title\":\"T\",\"url\":\"u\"}]}"}"#,
            "Validation failed: Content attributes contains invalid keys for items : [:url]"
        ),
        (#"{"content_type":"input_select"}"#, "Validation failed: Content attributes At least one item is required."),
        (#"{"content_type":"bubbles"}"#, "'bubbles' is not a valid content_type"),
        (#"{"message_type":"incoming","content":"hi"}"#, "Incoming messages are only allowed in Api inboxes"),
    ])
    func invalidMessagesAreRejectedWithChatwootsError(body: String, error: String) async throws {
        try await withHarness { harness in
            let address = try await harness.chatwoot.startConversation(jane)
            let response = try await harness.call(.POST, Harness.path(address, "messages"), json: body)
            #expect(response.status == 422)
            #expect(response.body == ["error": .string(error)])
            #expect(try await harness.chatwoot.transcript(of: address).isEmpty)
            await harness.chatwoot.waitForDeliveries()
            #expect(harness.chatwoot.deliveries.isEmpty)
        }
    }

    @Test func echoIdIsReturnedAndSourceIdKept() async throws {
        try await withHarness { harness in
            let address = try await harness.chatwoot.startConversation(jane)
            var message = OutgoingMessage.text("Hello")
            message.echoId = "effect-42"
            message.sourceId = "ledger-7"
            let created = try await harness.api.createMessage(message, in: address)
            #expect(created.echoId == "effect-42")
            #expect(created.sourceId == "ledger-7")
            await harness.chatwoot.waitForDeliveries()
            let echo = try #require(harness.deliveries("message_created").first)
            #expect(echo.payload["source_id"] == "ledger-7")
            #expect(echo.payload["echo_id"] == nil)
            #expect(try await harness.chatwoot.transcript(of: address).first?.sourceId == "ledger-7")
        }
    }

    @Test func privateNoteIsEchoedAsPrivateAndKeepsTheCustomerWaiting() async throws {
        try await withHarness { harness in
            let address = try await harness.chatwoot.startConversation(jane)
            try await harness.chatwoot.customerSays("Hello?", in: address)
            _ = try await harness.api.createMessage(.privateNote("VIP customer"), in: address)
            await harness.chatwoot.waitForDeliveries()
            let echo = try #require(harness.deliveries("message_created").last)
            #expect(echo.payload["private"] == true)
            // The last *public* message stays the customer's in the embedded conversation.
            #expect(echo.payload["conversation"]?["messages"]?[0]?["message_type"] == 0)
            #expect(try await harness.chatwoot.conversation(address).waitingSince != nil)
        }
    }

    @Test func publicBotReplyClearsWaitingSinceButKeepsStatus() async throws {
        try await withHarness { harness in
            let address = try await harness.chatwoot.startConversation(jane)
            try await harness.chatwoot.customerSays("Hello?", in: address)
            _ = try await harness.api.createMessage(.text("Hi!"), in: address)
            await harness.chatwoot.waitForDeliveries()
            let conversation = try await harness.chatwoot.conversation(address)
            #expect(conversation.status == .pending)
            #expect(conversation.waitingSince == nil)
            let updated = try #require(harness.deliveries("conversation_updated").last)
            #expect(updated.payload["changed_attributes"]?[0]?["waiting_since"]?["current_value"] == .null)
        }
    }

    @Test func floodGuardRejectsMessagesOverTheLimit() async throws {
        var configuration = SimulatorConfiguration.testing
        configuration.messageFloodLimit = 2
        try await withHarness(configuration) { harness in
            let address = try await harness.chatwoot.startConversation(jane)
            _ = try await harness.api.createMessage(.text("1"), in: address)
            _ = try await harness.api.createMessage(.text("2"), in: address)
            let response = try await harness.call(.POST, Harness.path(address, "messages"), json: #"{"content":"3"}"#)
            #expect(response.status == 422)
            #expect(response.body == ["error": "Validation failed: Too many messages"])
        }
    }

    @Test func incomingMessagesAreAllowedInAPIInboxes() async throws {
        var configuration = SimulatorConfiguration.testing
        configuration.inboxes = [SimulatedInbox(id: 3, accountId: 1, name: "API", channel: SimulatedInbox.apiChannel)]
        try await withHarness(configuration) { harness in
            let address = try await harness.chatwoot.startConversation(jane)
            let created = try await harness.api.createMessage(
                OutgoingMessage(content: "from the channel", messageType: .incoming),
                in: address
            )
            #expect(created.messageType == .incoming)
            #expect(created.senderKind == .contact)
        }
    }
}
