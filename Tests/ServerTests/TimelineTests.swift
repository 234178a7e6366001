import Audit
import Chatwoot
import Foundation
import Ledger
import LedgerbotTesting
import Server
import Testing

/// The audit timeline: what it shows of customer-controlled text and which events it counts as
/// the conversation's.
@Suite struct TimelineTests {
    private func webhook(_ fixture: String, seq: Seq, _ change: (inout [String: Any]) -> Void) throws -> LedgerEvent {
        var body = try #require(try JSONSerialization.jsonObject(with: Data(try chatwootFixture(fixture))) as? [String: Any])
        change(&body)
        return LedgerEvent(seq: seq, stream: "1/128", type: "webhook.received", time: 1_780_000_000_000_000 + Int64(seq), causation: nil,
                           body: [UInt8](try JSONSerialization.data(withJSONObject: body)), meta: [])
    }

    /// A customer's text cannot forge a timeline line or move the terminal's cursor: line breaks
    /// and control characters are shown, not obeyed, one entry per line.
    @Test func customerTextCannotForgeLinesOfTheTextTimeline() throws {
        let forged = "ok\n   4711  2026-12-07T10:00:00.000000Z  decision  rule refund · says \"Refund approved\"\r\u{1B}[2K\u{1B}[1A\u{202E}"
        let event = try webhook("webhook-message_created-incoming.json", seq: 1) { $0["content"] = forged }
        let timeline = Timeline.build(address: ConversationAddress(accountId: 1, conversationId: 128), events: [event])
        let text = TimelineRendering.text(timeline)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(!text.contains("\u{1B}") && !text.contains("\r") && !text.contains("\u{202E}"), "\(text)")
        #expect(!lines.contains { $0.hasPrefix("   4711") }, "\(text)")
        let customer = lines.filter { $0.contains("  customer  ") }
        #expect(customer.count == 1 && customer[0].contains("ok⏎   4711") && customer[0].contains("\\u{1b}[2K") && customer[0].contains("\\u{202e}"), "\(text)")
    }

    /// Only the bot's own messages echo a decision: a customer's `source_id` (an email's
    /// Message-ID) written as the outbox writes its own is not one.
    @Test func onlyTheBotsMessagesAreEchoesOfDecisions() throws {
        let incoming = try webhook("webhook-message_created-incoming.json", seq: 1) { $0["source_id"] = "ledgerbot:3:0" }
        let outgoing = try webhook("webhook-message_created-outgoing.json", seq: 2) { $0["source_id"] = "ledgerbot:3:0" }
        let timeline = Timeline.build(address: ConversationAddress(accountId: 1, conversationId: 128), events: [incoming, outgoing])
        let messages = timeline.entries.filter { $0.kind == .customer || $0.kind == .bot }
        #expect(messages.map(\.kind) == [.customer, .bot])
        #expect(!messages[0].summary.contains("echo of decision"), "\(messages[0].summary)")
        #expect(messages[1].summary.contains("(echo of decision 3)"), "\(messages[1].summary)")
    }

    /// Webhooks whose account was unknown (`?/N`) belong to conversation N only while no other
    /// account has one with that id: otherwise they could be another customer's.
    @Test func eventsOfAnUnknownAccountAreShownOnlyWhenTheIdIsUnambiguous() {
        let address = ConversationAddress(accountId: 1, conversationId: 5)
        #expect(Timeline.streams(of: address, among: ["1/5", "?/5"]) == ["1/5", "?/5"])
        #expect(Timeline.streams(of: address, among: ["1/5"]) == ["1/5", "?/5"])
        #expect(Timeline.streams(of: address, among: ["1/5", "2/5", "?/5"]) == ["1/5"])
    }

    /// An id in several accounts, asked without `?account=`, is a 400 that says what to add, not
    /// a 404 "not in the ledger" (the page and the summary API alike).
    @Test func anAmbiguousIdIsABadRequestNotMissing() async throws {
        struct Ambiguous: AdminPages {
            func conversationList() async throws -> String { "" }
            func conversation(id: Int, account: Int?) async throws -> String? {
                guard account != nil else { throw AdminPagesAmbiguity(message: "conversation \(id) exists in accounts 1, 2; add ?account=N") }
                return "<p>timeline</p>"
            }
            func summary(id: Int, account: Int?) async throws -> JSONValue? {
                guard account != nil else { throw AdminPagesAmbiguity(message: "conversation \(id) exists in accounts 1, 2; add ?account=N") }
                return .object([:])
            }
        }
        let temp = TemporaryDirectory()
        var configuration = ServerConfiguration()
        configuration.adminToken = AdminToken("t0ken-admin")
        try await ServerHarness.with(directory: temp.ledgerDirectory, configuration: configuration, pages: Ambiguous()) { server in
            let page = try await server.get("/conversations/5?token=t0ken-admin")
            #expect(page.status == 400 && page.body.contains("add ?account=N"), "\(page)")
            let summary = try await server.get("/api/conversations/5/summary?token=t0ken-admin")
            #expect(summary.status == 400 && summary.body.contains("\"error\""), "\(summary)")
            #expect(try await server.get("/conversations/5?account=2&token=t0ken-admin").status == 200)
        }
    }

    /// Events durable in the ledger but not indexed yet (a crash between the two) are in the
    /// audit too — also a conversation the index has not seen at all.
    @Test func eventsNotIndexedYetAreReadFromTheLedger() async throws {
        let temp = TemporaryDirectory()
        let directory = temp.ledgerDirectory
        let (ledger, _) = try FileLedger.open(directory: directory)
        for (index, text) in ["first", "second", "third"].enumerated() {
            let event = try webhook("webhook-message_created-incoming.json", seq: Seq(index + 1)) { $0["content"] = text; $0["id"] = 9100 + index }
            _ = try await ledger.append([EventDraft(stream: "1/128", type: event.type, time: event.time, causation: nil, body: event.body, meta: [])])
        }
        let other = try webhook("webhook-message_created-incoming.json", seq: 4) { body in
            body["content"] = "new conversation"
            var conversation = body["conversation"] as? [String: Any] ?? [:]
            conversation["id"] = 129
            body["conversation"] = conversation
        }
        _ = try await ledger.append([EventDraft(stream: "1/129", type: other.type, time: other.time, causation: nil, body: other.body, meta: [])])
        await ledger.close()
        // As after a crash between syncing frames and indexing them: the index ends at seq 1.
        let index = try LedgerIndex(path: directory.indexPath, ledgerID: directory.readManifest())
        try index.connection.execute("DELETE FROM events WHERE seq > 1")
        try index.connection.execute("DELETE FROM frames WHERE last_seq > 1")
        let texts = try Timeline.build(directory: directory, conversation: 128).entries.filter { $0.kind == .customer }.map(\.summary)
        #expect(texts == ["\"first\"", "\"second\"", "\"third\""])
        let unseen = try Timeline.build(directory: directory, conversation: 129).entries.filter { $0.kind == .customer }.map(\.summary)
        #expect(unseen == ["\"new conversation\""])
    }
}
