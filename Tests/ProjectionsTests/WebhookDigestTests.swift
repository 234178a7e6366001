import Chatwoot
import Foundation
import Ledger
import LedgerbotTesting
import Testing
@testable import Projections

/// The scanner-based digest must read what the Chatwoot models decode.
@Suite struct WebhookDigestTests {
    static let fixtures = [
        "webhook-conversation_opened.json", "webhook-conversation_resolved.json", "webhook-conversation_status_changed.json",
        "webhook-conversation_updated.json", "webhook-message_created-incoming.json", "webhook-message_created-outgoing.json",
        "webhook-message_updated-form-submitted.json", "webhook-message_updated-input_select-submitted.json",
        "webhook-webwidget_triggered.json",
    ]

    @Test(arguments: fixtures)
    func digestAgreesWithTheChatwootModel(_ name: String) throws {
        let body = try chatwootFixture(name)
        let digest = try #require(WebhookDigest(body: body))
        let event = try WebhookEvent.decode(from: Data(body))
        #expect(digest.accountId == event.accountId)
        #expect(digest.conversation?.id == event.conversation?.id)
        #expect(digest.conversation?.status == event.conversation?.status)
        #expect(digest.conversation?.inboxId == event.conversation?.inboxId)
        #expect(digest.conversation?.channel == event.conversation?.channel)
        #expect(digest.conversation?.createdAt == event.conversation?.createdAt.map { Int64($0) * 1_000_000 })
        if let updated = event.conversation?.updatedAt {
            // The digest reads the decimal text exactly; the model went through a Double.
            #expect(abs(Double(digest.conversation!.updatedAt!) - updated * 1_000_000) < 2)
        }
        #expect(digest.conversation?.assignedAgentId == event.conversation?.meta?.assignee.flatMap { $0.kind == .user ? $0.id : nil })
        if let message = event.message {
            let read = try #require(digest.message)
            #expect(read.id == message.id)
            #expect(read.messageType == message.messageType)
            #expect(read.contentType == message.contentType)
            #expect(read.isPrivate == message.isPrivate)
            #expect(read.content == message.content)
            #expect(read.sourceId == message.sourceId)
            #expect(read.senderKind == message.senderKind)
            #expect(read.createdAt == message.createdAt.flatMap(Timestamp.parse))
            #expect(read.answer == message.submittedAnswer)
        } else {
            #expect(digest.message == nil)
        }
        let contact: Contact? = switch event {
        case .webwidgetTriggered(let trigger): trigger.contact
        case .messageCreated(let message) where message.isIncoming: message.sender?.contact
        default: event.conversation?.contact?.contact
        }
        #expect(digest.contact == contact.map {
            ContactInfo(id: $0.id, name: $0.name, email: $0.email, phone: $0.phoneNumber, identifier: $0.identifier)
        })
    }

    @Test func readsLenientlyLikeTheModels() throws {
        var body = try Webhooks.fixture("webhook-message_created-incoming.json")
        body.put("id", "9001")              // a decimal string
        body.put("message_type", 0)         // the integer code
        body.put("private", .null)
        body.put("content", 42)             // wrong type: missing
        body.put("sender", "someone")       // wrong type: no sender
        var conversation = body["conversation"]!
        conversation.put("status", 2)       // pending, by code
        conversation.put("updated_at", "1778663742.5")
        body.put("conversation", conversation)
        let digest = try #require(WebhookDigest(body: try Webhooks.encode(body)))
        #expect(digest.message?.id == 9001)
        #expect(digest.message?.messageType == .incoming)
        #expect(digest.message?.isPrivate == false)
        #expect(digest.message?.content == nil)
        #expect(digest.message?.senderKind == nil)
        #expect(digest.conversation?.status == .pending)
        #expect(digest.conversation?.updatedAt == nil) // a string is not a Unix time here; ordering falls back to arrival
        #expect(digest.contact?.id == 42)              // from meta.sender

        #expect(WebhookDigest(body: Array("[1,2]".utf8)) == nil)
        #expect(WebhookDigest(body: Array("{\"event\":".utf8)) == nil)
        #expect(WebhookDigest(body: Array("{\"event\":\"contact_created\"}".utf8))?.kind == .other)
    }

    @Test func unixTimesAreReadExactly() {
        func micros(_ text: String) -> Int64? {
            Array(text.utf8).withUnsafeBytes { WebhookDigest.micros(seconds: $0) }
        }
        #expect(micros("1778663742.351829") == 1_778_663_742_351_829)
        #expect(micros("1778663742.3518291") == 1_778_663_742_351_829)
        #expect(micros("1778663742") == 1_778_663_742_000_000)
        #expect(micros("1778663742.5") == 1_778_663_742_500_000)
        #expect(micros("1.5e9") == nil)
        #expect(micros("") == nil)
    }
}
