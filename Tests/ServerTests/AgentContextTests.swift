import Chatwoot
import Domain
import Foundation
import Ledger
import LedgerbotTesting
import Simulator
import Testing

/// What agents and support leads see: the hand-off note, the summary API, the audit pages and
/// `ledgerbot audit` / `ledgerbot summary`, on a conversation recorded by the live bot.
@Suite(.serialized) struct AgentContextTests {
    private let maria = VisitorProfile(name: "Maria Silva", email: "maria@example.com")
    private let binary = productsDirectory().appendingPathComponent("ledgerbot")

    private func ledgerbot(_ arguments: [String]) async throws -> (status: Int32, stdout: String, stderr: String) {
        let binary = self.binary
        return try await offPool { try runProcess(binary, arguments) }
    }

    /// Asks for an order, fails twice to be understood (hand-off), and is frustrated.
    private func handOffConversation(_ bot: BotStack) async throws -> ConversationAddress {
        let conversation = try await bot.chatwoot.startConversation(maria)
        try await bot.customer("where is order AB-10001", in: conversation)
        try await bot.customer("THIS IS RIDICULOUS!!", in: conversation)
        try await bot.customer("brrr fnord", in: conversation)
        return conversation
    }

    @Test func theHandOffNoteCarriesTheContext() async throws {
        try await BotStack.run { bot in
            let conversation = try await handOffConversation(bot)
            #expect(try await bot.chatwoot.conversation(conversation).status == .open)
            let note = try #require(try await bot.privateNotes(in: conversation).last)
            #expect(note.hasPrefix("**Bot hand-off** — 2 messages in a row not understood"))
            #expect(note.contains("**Customer:** Maria Silva · maria@example.com (not verified)"))
            #expect(note.contains("**Wants:** track_order"))
            #expect(note.contains("**Looked up order_status:** carrier=UPS, eta=2026-12-02, status=shipped"))
            #expect(note.contains("**Bot last said:** Sorry, I didn't understand."))
            #expect(note.contains("words of frustration: ridiculous;"))
            #expect(note.contains("**Watch out:**") && note.contains("ridiculous") && note.contains("writes in capitals"))
            #expect(note.contains("> THIS IS RIDICULOUS!!"))
            #expect(note.contains("**Suggested next step:** Ask what they need"))
            #expect(note.hasSuffix("_shop-bot@7_"))
        }
    }

    @Test func summaryAndAuditPagesNeedTheAdminToken() async throws {
        try await BotStack.run(adminToken: "s3cret-admin") { bot in
            let conversation = try await handOffConversation(bot)
            let id = conversation.conversationId
            #expect(try await bot.request("/conversations/\(id)").status == 401)
            #expect(try await bot.request("/conversations/\(id)", headers: ["Authorization": "Bearer wrong"]).status == 401)
            #expect(try await bot.request("/api/conversations/\(id)/summary").status == 401)

            let page = try await bot.request("/conversations/\(id)", headers: ["Authorization": "Bearer s3cret-admin"])
            #expect(page.status == 200)
            #expect(page.headers["content-type"]?.hasPrefix("text/html") == true)
            #expect(page.body.contains("THIS IS RIDICULOUS!!"))
            #expect(page.body.contains("hand-off: 2 messages in a row not understood"))
            #expect(!page.body.contains("<script"))

            let viaQuery = try await bot.request("/conversations?token=s3cret-admin")
            #expect(viaQuery.status == 200)
            #expect(viaQuery.body.contains("/conversations/\(id)?account=\(conversation.accountId)"))
            #expect(viaQuery.headers["set-cookie"]?.hasPrefix("ledgerbot_admin=") == true)
            let cookie = try await bot.request("/conversations/\(id)", headers: ["Cookie": "ledgerbot_admin=s3cret-admin"])
            #expect(cookie.status == 200)

            let summary = try await bot.request("/api/conversations/\(id)/summary", headers: ["Authorization": "Bearer s3cret-admin"])
            #expect(summary.status == 200)
            let json = try #require(try JSONSerialization.jsonObject(with: Data(summary.body.utf8)) as? [String: Any])
            #expect(json["handoff_reason"] as? String == "2 messages in a row not understood")
            #expect((json["customer"] as? [String: Any])?["name"] as? String == "Maria Silva")
            #expect((json["collected"] as? [String: String]) == [:] || json["collected"] != nil)
            #expect((json["sentiment_cues"] as? [String])?.contains("writes in capitals") == true)
            let missing = try await bot.request("/api/conversations/99999/summary", headers: ["Authorization": "Bearer s3cret-admin"])
            #expect(missing.status == 404 && missing.headers["content-type"] == "application/json")
            #expect(missing.body.contains(#""error":"conversation 99999 is not in the ledger""#), "\(missing.body)")
            // The API answers refusals as JSON too; the scheme's name is case-insensitive; a bad account is a 400.
            let refused = try await bot.request("/api/conversations/\(id)/summary")
            #expect(refused.status == 401 && refused.body.hasPrefix(#"{"error":"#), "\(refused.body)")
            #expect(try await bot.request("/api/conversations/\(id)/summary", headers: ["Authorization": "bearer s3cret-admin"]).status == 200)
            #expect(try await bot.request("/conversations/\(id)?account=abc", headers: ["Authorization": "Bearer s3cret-admin"]).status == 400)
        }
    }

    /// Customer text reaches the pages escaped, even where a "prepend" scalar (U+0600) joins
    /// the next `<` into one Swift `Character` that is not equal to `"<"`.
    @Test func customerTextCannotPutMarkupIntoThePages() async throws {
        let markup = "\u{600}<img src=x onerror=alert(1)\u{600}>"
        try await BotStack.run(adminToken: "s3cret-admin") { bot in
            let conversation = try await bot.chatwoot.startConversation(VisitorProfile(name: "Eve \(markup)", email: "eve@example.com"))
            try await bot.customer("hello \(markup)<b>bold</b>", in: conversation)
            let id = conversation.conversationId
            for path in ["/conversations/\(id)", "/conversations"] {
                let page = try await bot.request(path, headers: ["Authorization": "Bearer s3cret-admin"])
                #expect(page.status == 200)
                #expect(page.body.contains("&lt;img src=x onerror=alert(1)\u{600}&gt;"), "\(path)")
                #expect(!page.body.contains("<img") && !page.body.contains("<b>"), "\(path)")
                #expect(page.headers["content-security-policy"]?.contains("form-action 'none'") == true)
            }
        }
    }

    @Test func pagesAreDisabledWithoutAToken() async throws {
        try await BotStack.run { bot in
            let response = try await bot.request("/conversations")
            #expect(response.status == 404)
            #expect(response.body.contains("LEDGERBOT_ADMIN_TOKEN"))
        }
    }

    @Test func auditAndSummaryCommandsReadTheLedger() async throws {
        let temp = TemporaryDirectory()
        let directory = temp.ledgerDirectory
        let id = LockedBox(0)
        try await BotStack.run(directory: directory) { bot in
            id.value = try await handOffConversation(bot).conversationId
        }
        let audit = try await ledgerbot(["audit", "--data", directory.dataPath, "--conversation", String(id.value)])
        #expect(audit.status == 0, "\(audit.stderr)")
        for expected in ["customer  \"where is order AB-10001\"", "decision  intent:track_order", "looks up order_status",
                         "effect    lookup ok", "found carrier=UPS", "status    pending → open (by the bot)", "nlu: track_order"] {
            #expect(audit.stdout.contains(expected), "missing \(expected)")
        }
        let raw = try await ledgerbot(["audit", "--data", directory.dataPath, "--conversation", String(id.value), "--raw", "--format", "json"])
        let timeline = try #require(try JSONSerialization.jsonObject(with: Data(raw.stdout.utf8)) as? [String: Any])
        let entries = try #require(timeline["entries"] as? [[String: Any]])
        #expect(entries.contains { ($0["raw"] as? String)?.contains("\"event\":\"message_created\"") == true })
        let html = try await ledgerbot(["audit", "--data", directory.dataPath, "--conversation", String(id.value), "--format", "html"])
        #expect(html.stdout.hasPrefix("<!doctype html>"))

        let summary = try await ledgerbot(["summary", "--data", directory.dataPath, "--conversation", String(id.value)])
        #expect(summary.status == 0)
        #expect(summary.stdout.contains("Bot hand-off — 2 messages in a row not understood"))
        let missing = try await ledgerbot(["audit", "--data", directory.dataPath, "--conversation", "424242"])
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("not in the ledger"))
    }
}
