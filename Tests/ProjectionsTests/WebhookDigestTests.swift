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
        var withAnswers = 0
        var formBytes = 0, bodyBytes = 0
        for body in bodies {
            let (paths, split) = both(body)
            #expect(paths == split, "\(String(decoding: body, as: UTF8.self))")
            if paths != nil { read += 1 }
            // The compact form ingest records reads as the body does, and is much smaller; a
            // message carrying a submitted answer gets none (its body is read).
            let form = body.withUnsafeBytes(WebhookDigest.compactForm(of:))
            if paths?.message?.answer != nil {
                #expect(form == nil)
                withAnswers += 1
                continue
            }
            let compact = try #require(form, "\(String(decoding: body, as: UTF8.self))")
            #expect(compact.withUnsafeBytes(WebhookDigest.init(form:)) == paths, "\(String(decoding: compact, as: UTF8.self))")
            #expect(JSONScanner.isValid(compact))
            formBytes += compact.count
            bodyBytes += body.count
        }
        #expect(read == bodies.count)
        #expect(withAnswers > 0)
        #expect(formBytes * 3 < bodyBytes, "forms \(formBytes) bytes, bodies \(bodyBytes)")
        for bad in ["[1]", #"{"event":"#, #"{"a":1}x"#, #"{"conversation":{"id":1,}}"#, "{\"content\":\"\u{1}\"}"] {
            #expect(both(Array(bad.utf8)) == (nil, nil), "\(bad)")
        }
    }

    /// A webhook event is read from the compact form in its meta only when that form has the
    /// layout this version reads; otherwise (another form's name, no form, an unreadable form or
    /// meta) from the raw body.
    @Test func theCompactFormInMetaIsUsedOnlyWhenItIsCurrent() throws {
        let body = try chatwootFixture(Self.fixtures[0])
        let truth = try #require(WebhookDigest(body: body))
        let form = try #require(body.withUnsafeBytes(WebhookDigest.compactForm(of:)))
        // A form whose conversation id differs from the body's, to see which one is read.
        var other = truth
        other.conversation?.id = 999_999
        let forged = other.compactForm
        func event(_ meta: [(String, JSONWriter.Value)]) -> LedgerEvent {
            LedgerEvent(seq: 1, stream: "1/1", type: "webhook.received", time: 0, causation: nil, body: body, meta: JSONWriter.object(meta))
        }
        let name = (WebhookMeta.compactFormName, JSONWriter.Value.string(WebhookDigest.compactFormName))
        let current = event([("event", .string("x")), name, (WebhookMeta.compactForm, .raw(forged)), ("later", .raw(Array(#"{"a":[1,{"b":null}]}"#.utf8)))])
        #expect(WebhookDigest(event: current) == other, "the recorded form is what is read")
        #expect(WebhookDigest(event: current, fromRawBody: true) == truth)
        #expect(WebhookDigest(event: event([name, (WebhookMeta.compactForm, .raw(form))])) == truth)
        // The pruned-JSON form of earlier versions, under its own name, is not read.
        let pruned = #"{"conversation":{"id":999999},"event":"conversation_opened"}"#
        for stale in [event([(WebhookMeta.compactFormName, .string("paths-0000000000000000")), (WebhookMeta.compactForm, .raw(Array(pruned.utf8)))]),
                      event([(WebhookMeta.compactFormName, .string("fields-0")), (WebhookMeta.compactForm, .raw(forged))]),
                      event([(WebhookMeta.compactForm, .raw(forged))]),
                      event([(WebhookMeta.compactForm, .raw(forged)), name]),
                      event([name, (WebhookMeta.compactForm, .raw(Array("[1]".utf8)))]),
                      event([name, (WebhookMeta.compactForm, .raw(Array(pruned.utf8)))]),
                      event([name, (WebhookMeta.compactForm, .raw(forged.dropLast() + Array(",null]".utf8)))]),
                      event([name, (WebhookMeta.compactForm, .raw(forged)), ("bad", .raw(Array("01".utf8)))]),
                      LedgerEvent(seq: 1, stream: "", type: "webhook.received", time: 0, causation: nil, body: body,
                                  meta: JSONWriter.object([name, (WebhookMeta.compactForm, .raw(forged))]) + Array("x".utf8)),
                      LedgerEvent(seq: 1, stream: "", type: "webhook.received", time: 0, causation: nil, body: body, meta: Array("{not json".utf8))] {
            #expect(WebhookDigest(event: stale) == truth, "\(String(decoding: stale.meta, as: UTF8.self))")
        }
        // Very long messages get no form (meta stays small; the body is read instead).
        let long = Array(#"{"event":"message_created","content":""#.utf8) + [UInt8](repeating: UInt8(ascii: "a"), count: WebhookDigest.compactFormLimit) + Array(#""}"#.utf8)
        #expect(long.withUnsafeBytes(WebhookDigest.compactForm(of:)) == nil)
    }

    /// The layout `fields-1` names. A change here is a new layout: give it a new name, so forms
    /// recorded by earlier versions are not misread (they are then read from their bodies).
    @Test func theCompactFormLayoutIsPinned() throws {
        #expect(WebhookDigest.compactFormName == "fields-1")
        let body = #"""
            {"event":"message_created","id":9001,"message_type":"incoming","content_type":"text","private":false,
             "content":"Hi \"there\"\n","created_at":1778663742,"source_id":null,"sender":{"type":"contact","id":42,"name":"Jane",
             "email":"jane@example.com","phone_number":null,"identifier":"j-1"},"account":{"id":1},
             "conversation":{"id":128,"inbox_id":3,"status":"pending","channel":"Channel::WebWidget","created_at":1778663700,
             "updated_at":1778663742.5,"meta":{"sender":{"id":42,"name":"Jane"},"assignee":{"type":"user","id":7}}}}
            """#
        let form = try #require(Array(body.utf8).withUnsafeBytes(WebhookDigest.compactForm(of:)))
        let expected = #"["message_created",1,[9001,"incoming","text",false,"Hi \"there\"\n",1778663742000000,null,"contact"],"#
            + #"[128,3,"pending","Channel::WebWidget",1778663700000000,1778663742500000,[42,"Jane",null,null,null],7,null],"#
            + #"[42,"Jane","jane@example.com",null,"j-1"]]"#
        #expect(String(decoding: form, as: UTF8.self) == expected)
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
        // Beyond the year 9999 is no time (near Int64's limit it crashed ingest).
        #expect(micros("253402300799.999999") == 253_402_300_799_999_999)
        #expect(micros("253402300800") == nil)
        #expect(micros("9223372036854.9") == nil && micros("-9223372036854.9") == nil)
        #expect(micros("-253402300799") == -253_402_300_799_000_000)
    }

    /// A payload's extreme times are no times: the digest reads nil for them, and the fold,
    /// the read model and the hand-off summary go on (each trapped on such a value).
    @Test func extremeTimesAreNoTimes() throws {
        let body = #"{"event":"conversation_updated","id":1,"status":"open","created_at":-9223372036854,"updated_at":9223372036854.9,"account":{"id":1}}"#
        let digest = try #require(WebhookDigest(body: Array(body.utf8)))
        #expect(digest.conversation?.updatedAt == nil && digest.conversation?.createdAt == nil)
        #expect(ConversationSummary.describe(IntentScore(name: "x", confidence: 1e300)) == "x (100%)")
        #expect(ConversationSummary.describe(IntentScore(name: "x", confidence: .nan)) == "x (0%)")
    }
}
