import Chatwoot
import Domain
import Foundation
import JSONScan
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

    /// The one-pass path reader must give the digest that splitting every level with
    /// `JSONObjectView` gives: on the fixtures, on each of them with members removed, retyped or
    /// repeated, and on every webhook of the golden ledgers.
    @Test func pathReadingAgreesWithSplittingEveryLevel() throws {
        func both(_ body: [UInt8]) -> (WebhookDigest?, WebhookDigest?) {
            (WebhookDigest(body: body), body.withUnsafeBytes { JSONObjectView($0).map(WebhookDigest.init(root:)) })
        }
        var bodies = try Self.fixtures.map { try chatwootFixture($0) }
        var generator = SeededGenerator(state: 3)
        let replacements: [JSONValue] = [.null, 7, "7", 1.5, true, [], [:], [[:]], ["id": "x", "account_id": 9, "type": "user"]]
        for fixture in Self.fixtures {
            guard case .object(let original) = try Webhooks.fixture(fixture) else { continue }
            for _ in 0..<60 {
                // Mutate one member, at the top level or one level down.
                var body = original
                let top = Array(body.keys).randomElement(using: &generator)!
                if case .object(var inner)? = body[top], let key = inner.keys.randomElement(using: &generator), Bool.random(using: &generator) {
                    inner[key] = Bool.random(using: &generator) ? nil : replacements.randomElement(using: &generator)!
                    body[top] = .object(inner)
                } else {
                    body[top] = Bool.random(using: &generator) ? nil : replacements.randomElement(using: &generator)!
                }
                bodies.append(try Webhooks.encode(.object(body)))
            }
        }
        // A repeated key: the first one counts for both readers.
        bodies.append(Array(#"{"event":"message_created","id":1,"id":2,"conversation":{"id":5},"conversation":{"id":6},"account":{"id":3}}"#.utf8))
        bodies.append(Array(#"{"event":"conversation_updated","id":8,"messages":[{"account_id":4},{"account_id":5}],"meta":{"sender":{"id":1,"name":"Éva"}}}"#.utf8))
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        for scenario in ["support-triage", "ecommerce-orders", "news-recommendations", "booking"] {
            let lines = try String(contentsOf: root.appendingPathComponent("snapshots/\(scenario)/ledger.jsonl"), encoding: .utf8)
            for line in lines.split(separator: "\n") {
                let event = try Array(line.utf8).withUnsafeBytes { try JSONLines.decode($0) }
                if event.type == "webhook.received" { bodies.append(event.body) }
            }
        }
        #expect(bodies.count > 600)
        var read = 0
        for body in bodies {
            let (paths, split) = both(body)
            #expect(paths == split, "\(String(decoding: body, as: UTF8.self))")
            if paths != nil { read += 1 }
            // The compact form ingest records reads as the body does, and is much smaller.
            let form = try #require(body.withUnsafeBytes(WebhookDigest.compactForm(of:)))
            #expect(WebhookDigest(body: form) == paths, "\(String(decoding: form, as: UTF8.self))")
            #expect(form.count <= body.count)
        }
        #expect(read == bodies.count)
        for bad in ["[1]", #"{"event":"#, #"{"a":1}x"#, #"{"conversation":{"id":1,}}"#, "{\"content\":\"\u{1}\"}"] {
            #expect(both(Array(bad.utf8)) == (nil, nil), "\(bad)")
        }
    }

    /// A webhook event is read from the compact form in its meta only when that form was cut for
    /// the paths this version reads; otherwise (another form's name, no form, unreadable meta)
    /// from the raw body.
    @Test func theCompactFormInMetaIsUsedOnlyWhenItIsCurrent() throws {
        let body = try chatwootFixture(Self.fixtures[0])
        let truth = try #require(WebhookDigest(body: body))
        let form = try #require(body.withUnsafeBytes(WebhookDigest.compactForm(of:)))
        // A form whose conversation id differs from the body's, to see which one is read.
        let forged = Array(String(decoding: form, as: UTF8.self).replacingOccurrences(of: #""id":"#, with: #""id":9"#).utf8)
        func event(_ meta: [(String, JSONWriter.Value)]) -> LedgerEvent {
            LedgerEvent(seq: 1, stream: "1/1", type: "webhook.received", time: 0, causation: nil, body: body, meta: JSONWriter.object(meta))
        }
        let current = event([("event", .string("x")), (WebhookMeta.compactFormName, .string(WebhookDigest.compactFormName)), (WebhookMeta.compactForm, .raw(forged))])
        #expect(WebhookDigest(event: current) != truth, "the recorded form is what is read")
        #expect(WebhookDigest(event: current, fromRawBody: true) == truth)
        #expect(WebhookDigest(event: event([(WebhookMeta.compactFormName, .string(WebhookDigest.compactFormName)), (WebhookMeta.compactForm, .raw(form))])) == truth)
        for stale in [event([(WebhookMeta.compactFormName, .string("paths-0000000000000000")), (WebhookMeta.compactForm, .raw(forged))]),
                      event([(WebhookMeta.compactForm, .raw(forged))]), event([(WebhookMeta.compactFormName, .string(WebhookDigest.compactFormName)), (WebhookMeta.compactForm, .raw(Array("[1]".utf8)))]),
                      LedgerEvent(seq: 1, stream: "", type: "webhook.received", time: 0, causation: nil, body: body, meta: Array("{not json".utf8))] {
            #expect(WebhookDigest(event: stale) == truth, "\(String(decoding: stale.meta, as: UTF8.self))")
        }
        // Very long messages get no form (meta stays small; the body is read instead).
        let long = Array(#"{"event":"message_created","content":""#.utf8) + [UInt8](repeating: UInt8(ascii: "a"), count: WebhookDigest.compactFormLimit) + Array(#""}"#.utf8)
        #expect(long.withUnsafeBytes(WebhookDigest.compactForm(of:)) == nil)
        #expect(WebhookDigest.compactFormName.hasPrefix("paths-") && WebhookDigest.compactFormName.count == 22)
    }

    /// Any change to the paths renames the form; the same paths give the same name.
    @Test func thePathsFingerprintNamesThePaths() {
        let base = ["event", "account.id", "conversation.messages[0].account_id"]
        let fingerprint = JSONPaths(base).fingerprint
        #expect(JSONPaths(base).fingerprint == fingerprint)
        for other in [base + ["sender.id"], Array(base.dropLast()), ["event", "account.ids", "conversation.messages[0].account_id"],
                      ["event", "account.id", "conversation.messages.account_id"]] {
            #expect(JSONPaths(other).fingerprint != fingerprint, "\(other)")
        }
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
