import Chatwoot
import Foundation

// What a website-widget visitor can do besides writing: open the bubble and answer interactive
// messages (docs/chatwoot-protocol.md §4.6, §6). Answers update the bot's message and send `message_updated`;
// no incoming message is created.
extension SimulatorWorld {
    /// The visitor opened the chat bubble: `webwidget_triggered` to the inbox's bot (only the inbox
    /// bot, never an assignee bot).
    mutating func widgetOpened(contactInboxId: Int, now: Date) throws(SimulatorError) {
        guard let contactInbox = contactInboxes[contactInboxId], let inbox = inboxes[contactInbox.inboxId] else {
            throw SimulatorError(.unknownContact, "There is no contact inbox \(contactInboxId)")
        }
        guard inbox.botActive else { return }
        emit(
            WebhookDispatch(
                event: WebhookEvent.Name.webwidgetTriggered,
                payload: webwidgetTriggeredPayload(contactInbox, openedAt: now),
                accountId: inbox.accountId,
                conversationDisplayId: latestConversation(ofContactInbox: contactInboxId)?.displayId,
                messageId: nil
            )
        )
    }

    /// Picks the `input_select` option whose `value` (or else `title`) is `option`. In the widget:
    /// `submitted_values = [{title, value}]` on the bot's message. Other channels render the
    /// options as buttons or a list and send the choice back as a new incoming message: Telegram
    /// its `value` (callback data), the others its `title` (docs/chatwoot-protocol.md §6).
    mutating func select(_ option: String, ofMessage id: Int, now: Date) throws(SimulatorError) {
        let message = try answerableMessage(id, contentType: .inputSelect)
        let items = message.contentAttributes["items"]?.arrayValue ?? []
        guard
            let item = items.first(where: { $0["value"]?.scalarText == option })
                ?? items.first(where: { $0["title"]?.scalarText == option })
        else {
            throw SimulatorError(.invalidSubmission, "Message \(id) has no option with value or title \"\(option)\"")
        }
        if let conversation = conversations[message.conversationId], let channel = inboxes[conversation.inboxId]?.channel,
           channel != SimulatedInbox.webWidgetChannel {
            let content = channel == SimulatedInbox.telegramChannel ? item["value"]?.scalarText : item["title"]?.scalarText
            let draft = MessageDraft(messageType: .incoming, content: content, sender: .contact(id: conversation.contactId))
            _ = receiveIncoming(draft, in: conversation.id, now: now)
            return
        }
        let chosen: JSONValue = ["title": item["title"] ?? .null, "value": item["value"] ?? .null]
        updateContentAttributes(ofMessage: id, now: now) { $0["submitted_values"] = [chosen] }
    }

    /// Submits a `form`: one `{name, value}` per field, in the form's order. Like the widget, every
    /// field must be filled and no other name is accepted.
    mutating func submitForm(_ values: [String: String], ofMessage id: Int, now: Date) throws(SimulatorError) {
        let message = try answerableMessage(id, contentType: .form)
        let names = (message.contentAttributes["items"]?.arrayValue ?? []).compactMap { $0["name"]?.scalarText }
        if let unknown = values.keys.sorted().first(where: { !names.contains($0) }) {
            throw SimulatorError(.invalidSubmission, "The form of message \(id) has no field \"\(unknown)\"")
        }
        var submitted: [JSONValue] = []
        for name in names {
            guard let value = values[name], !value.isEmpty else {
                throw SimulatorError(.invalidSubmission, "The widget requires field \"\(name)\" to be filled")
            }
            submitted.append(["name": .string(name), "value": .string(value)])
        }
        updateContentAttributes(ofMessage: id, now: now) { $0["submitted_values"] = .array(submitted) }
    }

    /// Answers an `input_email` message: `submitted_email`, and the contact's email is updated.
    mutating func submitEmail(_ email: String, ofMessage id: Int, now: Date) throws(SimulatorError) {
        let message = try answerableMessage(id, contentType: .inputEmail)
        if let contactId = conversations[message.conversationId]?.contactId {
            contacts[contactId]?.email = email
        }
        updateContentAttributes(ofMessage: id, now: now) { $0["submitted_email"] = .string(email) }
    }

    /// Answers an `input_csat` survey: `submitted_values = {csat_survey_response: {rating, feedback_message}}`
    /// (an object, not an array).
    mutating func rateCSAT(_ rating: Int, feedback: String?, ofMessage id: Int, now: Date) throws(SimulatorError) {
        _ = try answerableMessage(id, contentType: .inputCSAT)
        guard (1...5).contains(rating) else {
            throw SimulatorError(.invalidSubmission, "A CSAT rating is 1 to 5, not \(rating)")
        }
        let response: JSONValue = [
            "rating": .int(rating), "feedback_message": feedback.map(JSONValue.string) ?? .null,
        ]
        updateContentAttributes(ofMessage: id, now: now) {
            $0["submitted_values"] = ["csat_survey_response": response]
        }
    }

    private func answerableMessage(_ id: Int, contentType: ContentType) throws(SimulatorError) -> SimulatedMessage {
        guard let message = messages[id] else {
            throw SimulatorError(.unknownMessage, "There is no message \(id)")
        }
        guard message.contentType == contentType, message.messageType != .incoming else {
            throw SimulatorError(
                .invalidSubmission,
                "Message \(id) is \(message.messageType) \(message.contentType), not an outgoing \(contentType)"
            )
        }
        return message
    }
}
