import Chatwoot
import Foundation
import Testing

/// `WebhookMessage.submittedAnswer` for each interactive type (docs/chatwoot-protocol.md §6, §8).
struct SubmittedAnswerTests {
    private func message(contentType: String?, attributes: JSONValue) throws -> WebhookMessage {
        var payload: [String: JSONValue] = [
            "event": "message_updated", "message_type": "outgoing", "content_attributes": attributes,
        ]
        if let contentType { payload["content_type"] = .string(contentType) }
        return try #require(try WebhookEvent.decode(from: JSONMutation.data(.object(payload))).message)
    }

    @Test func csatAnswerUsesTheObjectForm() throws {
        let message = try message(
            contentType: "input_csat",
            attributes: [
                "display_type": "emoji",
                "submitted_values": ["csat_survey_response": ["rating": 4, "feedback_message": "Quick, thanks"]],
            ]
        )
        #expect(message.submittedValues == .csat(CSATResponse(rating: 4, feedbackMessage: "Quick, thanks")))
        #expect(message.submittedAnswer == .csat(CSATResponse(rating: 4, feedbackMessage: "Quick, thanks")))
        #expect(message.submittedAnswer?.text == "4")
        #expect(message.submittedValues?.entries == [])
    }

    @Test func emailAnswerComesFromSubmittedEmail() throws {
        let message = try message(contentType: "input_email", attributes: ["submitted_email": "jane@example.com"])
        #expect(message.submittedEmail == "jane@example.com")
        #expect(message.submittedAnswer == .email("jane@example.com"))
        #expect(message.submittedAnswer?.text == "jane@example.com")
    }

    @Test func unansweredInteractiveMessagesHaveNoAnswer() throws {
        #expect(try message(contentType: "input_email", attributes: [:]).submittedAnswer == nil)
        #expect(try message(contentType: "input_email", attributes: ["submitted_email": ""]).submittedAnswer == nil)
        #expect(try message(contentType: "input_select", attributes: ["items": []]).submittedAnswer == nil)
        #expect(try message(contentType: "form", attributes: ["submitted_values": []]).submittedAnswer == nil)
        #expect(try message(contentType: "text", attributes: [:]).submittedAnswer == nil)
    }

    @Test func numericSubmittedValuesAreKeptAsText() throws {
        let message = try message(
            contentType: "input_select",
            attributes: ["submitted_values": [["title": "Three", "value": 3]]]
        )
        #expect(message.submittedAnswer?.text == "3")
    }

    @Test func withoutContentTypeTheShapeDecides() throws {
        let selection = try message(contentType: nil, attributes: ["submitted_values": [["title": "A", "value": "a"]]])
        #expect(selection.submittedAnswer == .selection(SubmittedValue(title: "A", value: "a")))

        let form = try message(contentType: nil, attributes: ["submitted_values": [["name": "n", "value": "v"]]])
        #expect(form.submittedAnswer == .form([SubmittedValue(name: "n", value: "v")]))

        let csat = try message(
            contentType: "future_type",
            attributes: ["submitted_values": ["csat_survey_response": ["rating": "5"]]]
        )
        #expect(csat.submittedAnswer == .csat(CSATResponse(rating: 5)))

        let email = try message(contentType: nil, attributes: ["submitted_email": "a@b.c"])
        #expect(email.submittedAnswer == .email("a@b.c"))
    }

    @Test func formValuesKeepTheLastValueOfARepeatedName() {
        let answer = SubmittedAnswer.form([
            SubmittedValue(name: "a", value: "1"), SubmittedValue(name: "a", value: "2"), SubmittedValue(value: "x"),
        ])
        #expect(answer.formValues == ["a": "2"])
        #expect(SubmittedAnswer.email("e").formValues == [:])
    }
}
