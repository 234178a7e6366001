import Chatwoot
import Foundation

// `POST …/messages` (docs/chatwoot-protocol.md §7.2): Chatwoot's `MessageBuilder` and the message validations,
// in Rails' order (content length, `ContentAttributeValidator`, flood guard). Any failure is a 422
// `{"error": "<message>"}`, as `MessagesController#create` rescues every error.
extension SimulatorWorld {
    mutating func createMessage(
        _ params: [String: JSONValue],
        body: Data,
        in conversation: SimulatedConversation,
        now: Date
    ) -> RESTResponse {
        let typeText = params["message_type"]?.scalarText ?? "outgoing"
        guard let messageType = RailsParams.enumValue(typeText, MessageType.self) else {
            return .couldNotCreate("'\(typeText)' is not a valid message_type")
        }
        if messageType == .incoming, inboxes[conversation.inboxId]?.isAPIChannel != true {
            return .couldNotCreate("Incoming messages are only allowed in Api inboxes")
        }
        let contentTypeText = params["content_type"]?.scalarText ?? "text"
        guard let contentType = RailsParams.enumValue(contentTypeText, ContentType.self) else {
            return .couldNotCreate("'\(contentTypeText)' is not a valid content_type")
        }
        let content = params["content"]?.scalarText
        let items = ItemShape.items(inBody: body)
        if [.inputSelect, .cards, .form, .article].contains(contentType),
            let notObject = items?.first(where: { $0.keys == nil })?.rubyClass
        {
            // Chatwoot calls `item.keys` and the NoMethodError is rescued into a 422.
            return .couldNotCreate("undefined method 'keys' for \(notObject)")
        }
        var errors: [String] = []
        if (content?.count ?? 0) > 150_000 {
            errors.append("Content is too long (maximum is 150000 characters)")
        }
        errors += ContentAttributeValidator.errors(contentType: contentType, items: items)
        if let limit = messageFloodLimit, messagesInLastMinute(ofConversation: conversation.id, now: now) >= limit {
            errors.append("Too many messages")
        }
        guard errors.isEmpty else {
            return .couldNotCreate("Validation failed: " + errors.joined(separator: ", "))
        }

        var additional: [String: JSONValue] = [:]
        if let templateParams = params["template_params"], !templateParams.isNull {
            additional["template_params"] = templateParams
        }
        if let campaignId = params["campaign_id"], !campaignId.isNull { additional["campaign_id"] = campaignId }
        let draft = MessageDraft(
            messageType: messageType,
            contentType: contentType,
            content: content,
            contentAttributes: Self.contentAttributes(params["content_attributes"]),
            additionalAttributes: additional,
            isPrivate: RailsParams.truthy(params["private"]),
            sourceId: params["source_id"]?.scalarText,
            sender: messageType == .incoming ? .contact(id: conversation.contactId) : .bot(id: bot.id)
        )
        let message =
            messageType == .incoming
            ? receiveIncoming(draft, in: conversation.id, now: now)
            : postOutgoing(draft, in: conversation.id, now: now)
        return .ok(messageView(message, echoId: params["echo_id"]?.scalarText))
    }

    /// `content_attributes` as an object, from an object or a JSON-encoded string.
    private static func contentAttributes(_ value: JSONValue?) -> [String: JSONValue] {
        switch value {
        case .object(let object): return object
        case .string(let text):
            let decoded = try? JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
            return decoded?.objectValue ?? [:]
        default: return [:]
        }
    }
}
