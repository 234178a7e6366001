import Chatwoot
import Foundation
import Testing

/// Enums decode from strings and integer codes and keep unknown values.
struct ChatwootEnumTests {
    private func decode<T: Decodable>(_ type: T.Type, _ json: String) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(json.utf8))
    }

    @Test func messageTypeDecodesFromStringAndFromIntegerCode() throws {
        #expect(try decode(MessageType.self, #""incoming""#) == .incoming)
        #expect(try decode(MessageType.self, #""template""#) == .template)
        #expect(try decode(MessageType.self, "0") == .incoming)
        #expect(try decode(MessageType.self, "1") == .outgoing)
        #expect(try decode(MessageType.self, "2") == .activity)
        #expect(try decode(MessageType.self, "3") == .template)
    }

    @Test func unknownValuesAreKept() throws {
        #expect(try decode(MessageType.self, #""broadcast""#) == .other("broadcast"))
        #expect(try decode(MessageType.self, "7") == .other("7"))
        #expect(try decode(ConversationStatus.self, #""archived""#) == .other("archived"))
        #expect(try decode(ContentType.self, #""carousel""#).rawValue == "carousel")
    }

    @Test func nonScalarValuesFailSoLenientParentsDropThem() {
        #expect(throws: DecodingError.self) { try decode(MessageType.self, "[1]") }
        #expect(throws: DecodingError.self) { try decode(Priority.self, "true") }
    }

    @Test func encodingAlwaysWritesTheString() throws {
        let encoded = try JSONEncoder().encode([MessageType.outgoing, .other("x")])
        #expect(String(decoding: encoded, as: UTF8.self) == #"["outgoing","x"]"#)
    }

    @Test func integerCodesFollowRailsEnums() throws {
        #expect(try decode([ConversationStatus].self, "[0,1,2,3]") == [.open, .resolved, .pending, .snoozed])
        #expect(try decode([Priority].self, "[0,1,2,3]") == [.low, .medium, .high, .urgent])
        #expect(try decode([MessageStatus].self, "[0,1,2,3]") == [.sent, .delivered, .read, .failed])
        #expect(try decode(ContentType.self, "4") == .inputSelect)
        #expect(try decode(ContentType.self, "9") == .inputCSAT)
        #expect(try decode(ContentType.self, "12") == .voiceCall)
    }

    @Test(arguments: [
        "text", "input_text", "input_textarea", "input_email", "input_select", "cards", "form", "article",
        "incoming_email", "input_csat", "integrations", "sticker", "voice_call",
    ])
    func everyContentTypeRoundTrips(raw: String) {
        let value = ContentType(rawValue: raw)
        #expect(value.rawValue == raw)
        if case .other = value { Issue.record("\(raw) is not a known case") }
    }

    @Test func senderKindReadsTypeFieldAndSenderTypeColumn() {
        #expect(SenderKind(typeField: nil) == .contact)
        #expect(SenderKind(typeField: "contact") == .contact)
        #expect(SenderKind(typeField: "user") == .user)
        #expect(SenderKind(typeField: "agent_bot") == .agentBot)
        #expect(SenderKind(typeField: "captain_assistant") == .captainAssistant)
        #expect(SenderKind(senderType: "Captain::Assistant") == .captainAssistant)
        #expect(SenderKind(senderType: "AgentBot") == .agentBot)
        #expect(SenderKind(senderType: nil) == nil)
    }

    @Test func captainAssistantSenderDecodes() throws {
        let sender = try decode(
            Sender.self,
            #"{"id":9,"name":"Captain","avatar_url":"x","description":"d","created_at":"t","type":"captain_assistant"}"#
        )
        #expect(sender.kind == .captainAssistant)
        #expect(sender.id == 9)
        #expect(sender.contact == nil)
    }
}
