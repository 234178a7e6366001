import Chatwoot
import Foundation
import Ledger
import LedgerbotTesting

/// Webhook bodies for the test conversation (account 1, conversation 128, contact 42), derived
/// from the fixtures in `Tests/Fixtures/chatwoot` by replacing the fields a scenario varies.
enum Webhooks {
    static let account = 1
    static let conversation = 128
    static let agentId = 2
    static let botId = 5

    enum Author {
        case customer
        case bot
        case agent
        /// `sender: null` (templates, CSAT, greetings).
        case system
    }

    /// `message_created` (or `message_updated`) for a message in the conversation.
    ///
    /// - Parameters:
    ///   - createdAt: the message's creation time, Unix seconds.
    ///   - status: the conversation status when the payload was built.
    ///   - updatedAt: the conversation's `updated_at` when the payload was built, Unix seconds.
    static func message(_ id: Int, _ content: String?, by author: Author, event: String = "message_created",
                        messageType: String? = nil, contentType: String = "text", isPrivate: Bool = false,
                        sourceId: String? = nil, createdAt: Double, status: String, updatedAt: Double,
                        contentAttributes: JSONValue = [:], assignee: Int? = nil) throws -> [UInt8] {
        var body = try fixture(author == .customer ? "webhook-message_created-incoming.json" : "webhook-message_created-outgoing.json")
        body.put("event", .string(event))
        body.put("id", .int(id))
        body.put("content", content.map(JSONValue.string) ?? .null)
        body.put("message_type", .string(messageType ?? (author == .customer ? "incoming" : author == .system ? "template" : "outgoing")))
        body.put("content_type", .string(contentType))
        body.put("content_attributes", contentAttributes)
        body.put("private", .bool(isPrivate))
        body.put("source_id", sourceId.map(JSONValue.string) ?? .null)
        body.put("created_at", .string(Self.iso(createdAt)))
        switch author {
        case .customer: break // the fixture's contact sender
        case .bot: body.put("sender", ["id": .int(botId), "name": "Acme Assistant", "type": "agent_bot"])
        case .agent: body.put("sender", ["id": .int(agentId), "name": "Sam Agent", "email": "sam@acme.example", "type": "user"])
        case .system: body.put("sender", .null)
        }
        var conversation = body["conversation"]!
        set(&conversation, status: status, updatedAt: updatedAt, assignee: assignee)
        body.put("conversation", conversation)
        return try encode(body)
    }

    /// A widget submission: the fixture's answered `input_select` (message 9002) or form (9004).
    static func submission(form: Bool, status: String = "pending", updatedAt: Double) throws -> [UInt8] {
        var body = try fixture(form ? "webhook-message_updated-form-submitted.json" : "webhook-message_updated-input_select-submitted.json")
        var conversation = body["conversation"]!
        set(&conversation, status: status, updatedAt: updatedAt, assignee: nil)
        body.put("conversation", conversation)
        return try encode(body)
    }

    /// `conversation_status_changed`, `conversation_opened`, `conversation_resolved` or `conversation_updated`.
    static func conversationEvent(_ event: String, status: String, updatedAt: Double, assignee: Int? = nil) throws -> [UInt8] {
        var body = try fixture("webhook-conversation_status_changed.json")
        body.put("event", .string(event))
        set(&body, status: status, updatedAt: updatedAt, assignee: assignee)
        return try encode(body)
    }

    /// `webwidget_triggered` by the contact; without a conversation unless `status` is given.
    static func widgetTriggered(status: String? = nil, updatedAt: Double = 0) throws -> [UInt8] {
        var body = try fixture("webhook-webwidget_triggered.json")
        if let status {
            var conversation = try fixture("webhook-conversation_status_changed.json")
            conversation.put("event", nil)
            set(&conversation, status: status, updatedAt: updatedAt, assignee: nil)
            body.put("current_conversation", conversation)
        }
        return try encode(body)
    }

    // MARK: - Helpers

    static func fixture(_ name: String) throws -> JSONValue {
        try JSONDecoder().decode(JSONValue.self, from: Data(chatwootFixture(name)))
    }

    private static func set(_ conversation: inout JSONValue, status: String, updatedAt: Double, assignee: Int?) {
        conversation.put("status", .string(status))
        conversation.put("updated_at", .double(updatedAt))
        var meta = conversation["meta"] ?? [:]
        if let assignee {
            meta.put("assignee", ["id": .int(assignee), "name": "Sam Agent", "type": "user"])
            meta.put("assignee_type", "User")
        } else {
            meta.put("assignee", .null)
            meta.put("assignee_type", .null)
        }
        conversation.put("meta", meta)
    }

    static func encode(_ value: JSONValue) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return [UInt8](try encoder.encode(value))
    }

    /// `2026-05-13T09:15:42.318Z` for Unix seconds (milliseconds, as Chatwoot writes them).
    static func iso(_ seconds: Double) -> String {
        let millis = Int64((seconds * 1000).rounded())
        let formatted = Timestamp.iso8601(micros: millis * 1000) // …SS.ffffffZ
        return String(formatted.dropLast(4)) + "Z"
    }

    /// Unix seconds → µs, exactly as the projector reads `updated_at` (decimal, not binary).
    static func micros(_ seconds: Double) -> Int64 {
        Int64((seconds * 1_000_000).rounded())
    }
}

extension JSONValue {
    /// Sets (or, with `nil`, removes) a member of an object.
    mutating func put(_ key: String, _ value: JSONValue?) {
        guard case .object(var object) = self else { return }
        object[key] = value
        self = .object(object)
    }
}

extension Webhooks {
    /// `body` moved to another account, conversation and customer.
    static func moved(_ body: [UInt8], account: Int, conversation: Int, contact: Int) throws -> [UInt8] {
        func move(_ value: JSONValue, key: String?) -> JSONValue {
            switch value {
            case .object(let members):
                return .object(Dictionary(uniqueKeysWithValues: members.map { ($0.key, move($0.value, key: $0.key)) }))
            case .array(let elements):
                return .array(elements.map { move($0, key: key) })
            case .int(Webhooks.conversation) where key == "id" || key == "conversation_id":
                return .int(conversation)
            case .int(42) where key == "id" || key == "contact_id" || key == "sender_id":
                return .int(contact)
            case .int(Webhooks.account) where key == "id" || key == "account_id":
                return .int(account)
            default:
                return value
            }
        }
        return try Webhooks.encode(move(try JSONDecoder().decode(JSONValue.self, from: Data(body)), key: nil))
    }
}
