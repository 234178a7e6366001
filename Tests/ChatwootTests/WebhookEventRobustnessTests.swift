import Chatwoot
import Foundation
import LedgerbotTesting
import Testing

/// Mutated and hostile bodies never crash the decoder: they decode leniently or throw a
/// `WebhookDecodingError` with a precise code.
struct WebhookEventRobustnessTests {
    private func code(_ data: Data) -> WebhookDecodingError.Code? {
        do {
            _ = try WebhookEvent.decode(from: data)
            return nil
        } catch {
            return error.code
        }
    }

    private func code(_ text: String) -> WebhookDecodingError.Code? {
        code(Data(text.utf8))
    }

    // MARK: - Not a webhook at all

    @Test func emptyAndWhitespaceBodiesAreEmpty() {
        #expect(code(Data()) == .emptyBody)
        #expect(code(" \n\t\r ") == .emptyBody)
    }

    @Test(arguments: ["[]", "[{\"event\":\"message_created\"}]", "\"message_created\"", "42", "null", "true"])
    func nonObjectJSONIsRejected(body: String) {
        #expect(code(body) == .notAnObject)
    }

    @Test(arguments: ["{", "{\"event\":", "{\"event\":\"message_created\"", "not json", "{'event':'x'}", "{\"event\":\"x\"}}", "{\"event\" \"x\"}"])
    func malformedJSONIsRejected(body: String) {
        #expect(code(body) == .malformedJSON)
    }

    @Test func everyTruncationOfAFixtureIsMalformed() throws {
        let data = try Fixtures.data("webhook-message_updated-form-submitted")
        let trimmedEnd = data.lastIndex(of: UInt8(ascii: "}"))!
        for length in stride(from: 1, to: trimmedEnd, by: 5) {
            let result = code(data.prefix(length))
            #expect(result == .malformedJSON, "prefix of \(length) bytes gave \(String(describing: result))")
        }
    }

    @Test func invalidUTF8IsRejected() {
        var insideString = Data(#"{"event":"message_created","content":"abc"#.utf8)
        insideString.append(contentsOf: [0xFF, 0xFE, 0xC3])
        insideString.append(contentsOf: Data(#""}"#.utf8))
        #expect(code(insideString) == .invalidUTF8)
        #expect(code(Data([0xC3, 0x28, 0xFF])) == .invalidUTF8)
        #expect(code(Data([0x7B, 0xED, 0xA0, 0x80, 0x7D])) == .invalidUTF8)  // encoded surrogate
        #expect(code(Data([0x7B, 0xC0, 0xAF, 0x7D])) == .invalidUTF8)  // overlong "/"
    }

    /// Foundation alone accepts a trailing comma; the strict pre-scan (RFC 8259) does not.
    @Test func trailingCommaIsRejected() {
        #expect(code(#"{"event":"message_created","id":1,}"#) == .malformedJSON)
    }

    @Test func missingOrNonStringEventNameIsReported() {
        #expect(code("{}") == .missingEventName)
        #expect(code(#"{"id": 1}"#) == .missingEventName)
        #expect(code(#"{"event": null}"#) == .missingEventName)
        #expect(code(#"{"event": 42}"#) == .missingEventName)
        #expect(code(#"{"event": {"name": "message_created"}}"#) == .missingEventName)
    }

    @Test func errorsDescribeTheProblemWithoutQuotingTheBody() {
        do {
            _ = try WebhookEvent.decode(from: Data(#"{"event":"x","secret":"hunter2""#.utf8))
            Issue.record("Expected an error")
        } catch {
            #expect(error.code == .malformedJSON)
            #expect(!error.description.contains("hunter2"))
        }
    }

    // MARK: - Lenient decoding

    @Test func unknownEventNameIsKeptNotRejected() throws {
        let event = try WebhookEvent.decode(from: Data(#"{"event":"conversation_typing_on","id":1}"#.utf8))
        #expect(event == .unknown("conversation_typing_on"))
        #expect(event.name == "conversation_typing_on")
        #expect(event.conversation == nil)
        #expect(event.accountId == nil)
    }

    @Test func minimalPayloadDecodesWithEverythingAbsent() throws {
        let event = try WebhookEvent.decode(from: Data(#"{"event":"message_created"}"#.utf8))
        let message = try #require(event.message)
        #expect(message == WebhookMessage(id: nil))
        #expect(message.isPrivate == false)
        #expect(message.senderKind == nil)
        #expect(event.conversationAddress == nil)

        let conversation = try WebhookEvent.decode(from: Data(#"{"event":"conversation_updated"}"#.utf8))
        #expect(conversation == .conversationUpdated(WebhookConversation(id: nil)))
    }

    @Test func extraKeysAreIgnored() throws {
        let name = "webhook-message_created-incoming"
        let original = try WebhookEvent.decode(from: Fixtures.data(name))
        let mutated = try JSONMutation.fixture(name) { object in
            object["brand_new_field"] = ["nested": [1, 2, 3]]
            object["status"] = "delivered"  // PR #15908 may add these at the top level
            object["changed_attributes"] = [["content": ["previous_value": "a", "current_value": "b"]]]
            if case .object(var sender)? = object["sender"] {
                sender["unexpected"] = true
                object["sender"] = .object(sender)
            }
        }
        #expect(try WebhookEvent.decode(from: mutated) == original)
    }

    @Test func nullForEveryTopLevelFieldDecodes() throws {
        for name in Fixtures.webhookNames {
            let mutated = try JSONMutation.fixture(name) { object in
                for key in object.keys where key != "event" { object[key] = .null }
            }
            let event = try WebhookEvent.decode(from: mutated)
            #expect(event.conversationAddress == nil, "\(name)")
            #expect(event.inboxId == nil, "\(name)")
            if let message = event.message {
                #expect(message == WebhookMessage(id: nil), "\(name)")
            }
        }
    }

    @Test func wrongTypesBecomeAbsentOrAreCoerced() throws {
        let mutated = try JSONMutation.fixture("webhook-message_created-incoming") { object in
            object["id"] = "9001"  // decimal string: accepted
            object["content"] = 42  // not a string: absent
            object["private"] = "yes"  // not a bool: the default, false
            object["message_type"] = 0  // integer code at the top level: accepted
            object["content_type"] = "brand_new_type"  // unknown: kept
            object["sender"] = "somebody"  // not an object: absent
            object["inbox"] = ["id": 3.0, "name": ["not", "a", "string"]]
            object["account"] = []
            if case .object(var conversation)? = object["conversation"] {
                conversation["status"] = "archived"
                conversation["priority"] = 3
                conversation["labels"] = ["vip", 7, .null, "late"]
                conversation["messages"] = [1, "two", ["id": 5, "message_type": 3]]
                conversation["meta"] = ["sender": ["type": "robot", "id": "x"]]
                conversation["updated_at"] = "1778663744.5"
                object["conversation"] = .object(conversation)
            }
        }
        let message = try #require(try WebhookEvent.decode(from: mutated).message)
        #expect(message.id == 9001)
        #expect(message.content == nil)
        #expect(message.isPrivate == false)
        #expect(message.messageType == .incoming)
        #expect(message.contentType == .other("brand_new_type"))
        #expect(message.sender == nil)
        #expect(message.inbox == InboxRef(id: 3, name: nil))
        #expect(message.account == nil)
        let conversation = try #require(message.conversation)
        #expect(conversation.status == .other("archived"))
        #expect(conversation.priority == .urgent)
        #expect(conversation.labels == ["vip", "late"])
        #expect(conversation.messages?.map(\.id) == [5])
        #expect(conversation.messages?.first?.messageType == .template)
        #expect(conversation.meta?.sender?.kind == .other("robot"))
        #expect(conversation.meta?.sender?.id == nil)
        #expect(conversation.updatedAt == 1_778_663_744.5)
    }

    @Test func submittedValuesOfUnexpectedShapeGiveNoAnswer() throws {
        for values: JSONValue in ["text", 5, ["unexpected": true], [1, 2], []] {
            let mutated = try JSONMutation.fixture("webhook-message_updated-input_select-submitted") { object in
                object["content_attributes"] = ["submitted_values": values]
            }
            let message = try #require(try WebhookEvent.decode(from: mutated).message)
            #expect(message.submittedAnswer == nil, "\(values)")
        }
    }

    // MARK: - Nesting depth

    @Test func tenThousandNestedArraysAreRejectedBeforeParsing() {
        let body =
            #"{"event":"message_created","content_attributes":"# + String(repeating: "[", count: 10_000)
            + String(repeating: "]", count: 10_000) + "}"
        #expect(code(body) == .tooDeeplyNested)
        #expect(code(String(repeating: "[", count: 10_000)) == .tooDeeplyNested)
        #expect(code(String(repeating: "{\"a\":", count: 10_000)) == .tooDeeplyNested)
    }

    /// Checks what happens without the pre-scan: Foundation's parser must reject deep input on
    /// its own rather than overflow the stack. If this test crashes, the pre-scan is essential.
    @Test func foundationRejectsDeepNestingWithoutThePreScan() {
        let body = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        let result = code(Data(body.utf8), maximumNestingDepth: .max)
        #expect(result == .malformedJSON)
    }

    /// Below Foundation's own limit, the recursive `JSONValue` decoding of free-form attributes
    /// must still fit on a test thread's stack, even with the pre-scan disabled.
    @Test func fiveHundredLevelsDecodeWithoutThePreScan() throws {
        let body =
            #"{"event":"message_created","content_attributes":"# + String(repeating: "[", count: 500)
            + String(repeating: "]", count: 500) + "}"
        let message = try #require(
            try WebhookEvent.decode(from: Data(body.utf8), maximumNestingDepth: .max).message
        )
        #expect(message.contentAttributes?.arrayValue?.count == 1)
    }

    @Test func bracketsInsideStringsDoNotCountAsNesting() throws {
        let content = String(repeating: "[{", count: 5_000) + #"\"\\"#
        let body = try JSONMutation.data(["event": "message_created", "content": .string(content)])
        let message = try #require(try WebhookEvent.decode(from: body).message)
        #expect(message.content == content)
    }

    @Test func nestingUpToTheLimitIsAccepted() throws {
        // 1 (payload) + 1 (content_attributes) + 60 arrays = 62 levels, under the default 64.
        let body =
            #"{"event":"message_created","content_attributes":{"deep":"# + String(repeating: "[", count: 60)
            + String(repeating: "]", count: 60) + "}}"
        let message = try #require(try WebhookEvent.decode(from: Data(body.utf8)).message)
        #expect(message.contentAttributes?["deep"] != nil)
        #expect(code(Data(body.utf8), maximumNestingDepth: 61) == .tooDeeplyNested)
    }

    private func code(_ data: Data, maximumNestingDepth: Int) -> WebhookDecodingError.Code? {
        do {
            _ = try WebhookEvent.decode(from: data, maximumNestingDepth: maximumNestingDepth)
            return nil
        } catch {
            return error.code
        }
    }

    // MARK: - Random mutations

    @Test(arguments: Fixtures.webhookNames)
    func randomByteMutationsNeverCrash(name: String) throws {
        let original = try Fixtures.data(name)
        var generator = SeededGenerator(state: UInt64(name.utf8.count))
        let interesting: [UInt8] = Array("{}[]\",:0-9en\\ \u{7F}".utf8) + [0x00, 0xC3, 0xFF]
        for _ in 0..<300 {
            var bytes = [UInt8](original)
            for _ in 0..<Int.random(in: 1...4, using: &generator) {
                let index = Int.random(in: 0..<bytes.count, using: &generator)
                switch Int.random(in: 0..<3, using: &generator) {
                case 0: bytes[index] = interesting.randomElement(using: &generator)!
                case 1: bytes.remove(at: index)
                default: bytes.insert(interesting.randomElement(using: &generator)!, at: index)
                }
            }
            // Either outcome is fine; what matters is that decoding returns.
            _ = code(Data(bytes))
        }
    }
}
