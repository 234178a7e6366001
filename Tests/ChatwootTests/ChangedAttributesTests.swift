import Chatwoot
import Foundation
import Testing

struct ChangedAttributesTests {
    private func decode(_ json: String) throws -> ChangedAttributes {
        try JSONDecoder().decode(ChangedAttributes.self, from: Data(json.utf8))
    }

    @Test func arrayOfSingleKeyObjectsKeepsPayloadOrder() throws {
        let changes = try decode(
            #"[{"assignee_agent_bot_id":{"previous_value":null,"current_value":5}},{"updated_at":{"previous_value":"a","current_value":"b"}}]"#
        )
        #expect(changes.attributes == ["assignee_agent_bot_id", "updated_at"])
        #expect(changes["assignee_agent_bot_id"]?.previousValue == .null)
        #expect(changes["assignee_agent_bot_id"]?.currentValue == 5)
    }

    @Test func objectFormIsAcceptedInSortedOrder() throws {
        let changes = try decode(
            #"{"status":{"previous_value":"pending","current_value":"open"},"priority":{"current_value":"high"}}"#
        )
        #expect(changes.attributes == ["priority", "status"])
        #expect(changes["priority"]?.previousValue == .null)
        #expect(changes["status"]?.currentValue == "open")
    }

    @Test func nonObjectEntriesAreSkipped() throws {
        let changes = try decode(#"[1, "x", null, {"status":{"current_value":"open"}}]"#)
        #expect(changes.attributes == ["status"])
    }

    @Test func nullInAConversationMeansNoChangesListed() throws {
        let event = try WebhookEvent.decode(
            from: Data(#"{"event":"conversation_status_changed","changed_attributes":null,"status":"open"}"#.utf8)
        )
        #expect(event.conversation?.changedAttributes == nil)
        #expect(event.conversationStatus == .open)
    }

    @Test func encodesChatwootsArrayForm() throws {
        let changes = ChangedAttributes([.init(attribute: "status", previousValue: "pending", currentValue: "open")])
        let json = try JSONDecoder().decode(JSONValue.self, from: JSONEncoder().encode(changes))
        #expect(json == [["status": ["previous_value": "pending", "current_value": "open"]]])
    }
}
