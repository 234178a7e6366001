import Foundation
import Ledger
import LedgerbotTesting
import Simulator
import Testing

/// `ledgerbot replay` (a real child process) over a ledger recorded by the live bot.
@Suite(.serialized) struct ReplayCommandTests {
    private let binary = productsDirectory().appendingPathComponent("ledgerbot")

    private func ledgerbot(_ arguments: [String]) async throws -> (status: Int32, stdout: String, stderr: String) {
        let binary = self.binary
        return try await offPool { try runProcess(binary, arguments) }
    }

    /// Records two conversations with the shop bot into `directory`.
    private func record(_ directory: LedgerDirectory) async throws {
        try await BotStack.run(directory: directory) { bot in
            let maria = VisitorProfile(name: "Maria Silva", email: "maria@example.com")
            let first = try await bot.chatwoot.startConversation(maria)
            try await bot.customer("hello", in: first)
            try await bot.customer("where is my order", in: first)
            try await bot.customer("AB-10001", in: first)
            let second = try await bot.chatwoot.startConversation(VisitorProfile(name: "João"))
            try await bot.customer("xq zzv plonk", in: second)
            try await bot.customer("get me an agent", in: second)
        }
    }

    @Test func replayUnderTheRecordedPolicyFindsEveryDecisionIdentical() async throws {
        let temp = TemporaryDirectory()
        let directory = temp.ledgerDirectory
        try await record(directory)
        let text = try await ledgerbot(["replay", "--data", directory.dataPath])
        #expect(text.status == 0, "\(text.stdout)\(text.stderr)")
        #expect(text.stdout.contains("Every decision re-derived from the ledger equals the recorded one."))
        let json = try await ledgerbot(["replay", "--data", directory.dataPath, "--format", "json"])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let compared = try #require(object["compared"] as? Int)
        #expect(compared >= 5)
        #expect(object["identical"] as? Int == compared)
        #expect((object["recorded_policies"] as? [String]) == ["shop-bot@7"])
        // One thread or a second reading ahead, every state in memory or one: the same report, byte for byte.
        for variant in [["--threads", "1"], ["--threads", "2"], ["--resident-conversations", "1"], ["--resident-conversations", "0"]] {
            let same = try await ledgerbot(["replay", "--data", directory.dataPath, "--format", "json"] + variant)
            #expect(same.status == 0 && same.stdout == json.stdout, "\(variant): \(same.stdout)\(same.stderr)")
        }
        let usage = try await ledgerbot(["replay", "--data", directory.dataPath, "--threads", "3"])
        #expect(usage.status == 64 && usage.stderr.contains("--threads must be 1 or 2"), "\(usage.stderr)")
        let negative = try await ledgerbot(["replay", "--data", directory.dataPath, "--resident-conversations=-1"])
        #expect(negative.status == 64 && negative.stderr.contains("--resident-conversations must be 0"), "\(negative.stderr)")
    }

    @Test func aSpillDirectoryThatCannotBeCreatedIsAnErrorNotAReport() async throws {
        let temp = TemporaryDirectory()
        let directory = temp.ledgerDirectory
        try await record(directory)
        var changed = ProcessInfo.processInfo.environment
        changed["TMPDIR"] = temp.path + "/missing"
        let environment = changed
        let binary = self.binary
        let result = try await offPool { try runProcess(binary, ["replay", "--data", directory.dataPath], environment: environment) }
        #expect(result.status == 2 && result.stdout.isEmpty, "\(result.stdout)")
        #expect(result.stderr.contains("cannot create the file for conversation states") && result.stderr.contains("set TMPDIR"), "\(result.stderr)")
        // Keeping every state in memory needs no file.
        let inMemory = try await offPool { try runProcess(binary, ["replay", "--data", directory.dataPath, "--resident-conversations", "0"], environment: environment) }
        #expect(inMemory.status == 0, "\(inMemory.stderr)")
    }

    @Test func whatIfReportsEveryChangedDecisionAndTheCaveat() async throws {
        let temp = TemporaryDirectory()
        let directory = temp.ledgerDirectory
        try await record(directory)
        let original = try String(contentsOf: fixturesDirectory().appendingPathComponent("policies/shop-bot.yml"), encoding: .utf8)
        let v2 = original
            .replacingOccurrences(of: "version: 7", with: "version: 8")
            .replacingOccurrences(of: "reply: \"Hi {{contact.first_name}}, how can I help?\"", with: "reply: \"Hello {{contact.first_name}}! What can I do for you?\"")
            .replacingOccurrences(of: "after_fallbacks: 2", with: "after_fallbacks: 1")
        let path = temp.path + "/shop-bot-v2.yml"
        try v2.write(toFile: path, atomically: true, encoding: .utf8)

        let text = try await ledgerbot(["replay", "--data", directory.dataPath, "--policy", path])
        #expect(text.status == 1)
        #expect(text.stdout.contains("What-if: shop-bot@8 instead of the recorded shop-bot@7"))
        #expect(text.stdout.contains("the customer might have answered differently"))
        #expect(text.stdout.contains("says \"Hello Maria! What can I do for you?\""))
        #expect(text.stdout.contains("HANDS OFF: 1 message not understood"))

        let page = temp.path + "/what-if.html"
        let json = try await ledgerbot(["replay", "--data", directory.dataPath, "--policy", path, "--format", "json", "--html", page])
        #expect(json.status == 1)
        let html = try String(contentsOfFile: page, encoding: .utf8)
        #expect(html.hasPrefix("<!doctype html>") && html.contains("What-if: shop-bot@8") && html.contains("Hello Maria! What can I do for you?"))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let totals = try #require(object["totals"] as? [String: Int])
        #expect(totals["replies_changed"] ?? 0 >= 2)
        #expect(totals["handoffs_added"] == 1)
        #expect(totals["fallbacks_removed"] == 0)
        #expect(object["conversations_affected"] as? Int == 2)

        // Filters narrow the report to one conversation.
        let changes = try #require(object["changes"] as? [[String: Any]])
        let first = try #require(changes.first?["conversation"] as? Int)
        let filtered = try await ledgerbot(["replay", "--data", directory.dataPath, "--policy", path, "--format", "json", "--conversation", String(first)])
        let narrowed = try #require(try JSONSerialization.jsonObject(with: Data(filtered.stdout.utf8)) as? [String: Any])
        #expect(narrowed["conversations_affected"] as? Int == 1)
    }

    @Test func liveWhatIfPerformsNeverRecordedReadOnlyLookupsAndContinuesTheTurn() async throws {
        let temp = TemporaryDirectory()
        let directory = temp.ledgerDirectory
        try await record(directory)
        // v2 tracks orders through a renamed lookup: never recorded, so only --live can answer it.
        let original = try String(contentsOf: fixturesDirectory().appendingPathComponent("policies/shop-bot.yml"), encoding: .utf8)
        let v2 = original
            .replacingOccurrences(of: "version: 7", with: "version: 9")
            .replacingOccurrences(of: "  order_status:\n", with: "  order_status_v2:\n")
            .replacingOccurrences(of: "    lookup: order_status\n", with: "    lookup: order_status_v2\n")
            .replacingOccurrences(of: "reply: \"Order {{slots.order_number}} is {{result.status}} (ETA {{result.eta}}).\"",
                                  with: "reply: \"Your order {{slots.order_number}} is {{result.status}} with {{result.carrier}}.\"")
        #expect(v2.contains("order_status_v2") && v2.contains("with {{result.carrier}}"))
        let path = temp.path + "/shop-bot-v9.yml"
        try v2.write(toFile: path, atomically: true, encoding: .utf8)

        // Without --live the renamed lookup is reported as never recorded, its answer unknown.
        let offline = try await ledgerbot(["replay", "--data", directory.dataPath, "--policy", path])
        #expect(offline.status == 1)
        #expect(offline.stdout.contains("lookup order_status_v2 — conversation"))
        #expect(!offline.stdout.contains("live:"))
        // Each change carries its input's recorded time, not its decision's later one.
        let offlineJSON = try await ledgerbot(["replay", "--data", directory.dataPath, "--policy", path, "--format", "json"])
        let offlineChanges = try #require((try JSONSerialization.jsonObject(with: Data(offlineJSON.stdout.utf8)) as? [String: Any])?["changes"] as? [[String: Any]])
        for change in offlineChanges {
            let seq = try #require(change["input_seq"] as? Int)
            let line = try await ledgerbot(["ledger", "export", "--data", directory.dataPath, "--from", "\(seq)", "--through", "\(seq)"])
            let time = try #require((try JSONSerialization.jsonObject(with: Data(line.stdout.utf8)) as? [String: Any])?["time"] as? String)
            #expect(change["time"] as? String == time, "input \(seq)")
        }

        try await SampleBackends.withRunning { backends in
            let environment = ProcessInfo.processInfo.environment.merging(["SHOP_API": backends.baseURL]) { $1 }
            let binary = self.binary
            let live = try await offPool {
                try runProcess(binary, ["replay", "--data", directory.dataPath, "--policy", path, "--live"], environment: environment)
            }
            #expect(live.status == 1, "\(live.stderr)")
            // The turn continues with the live answer, right after the input that asked for it.
            #expect(live.stdout.contains("live: lookup order_status_v2 → ok ("), "\(live.stdout)")
            #expect(live.stdout.contains("performed now); then: intent:track_order · says \"Your order AB-10001 is shipped with UPS.\""), "\(live.stdout)")
            #expect(!live.stdout.contains("lookup order_status_v2 — conversation"))
            // Only reads reached the backend.
            let methods = Set(backends.requests.map(\.method))
            #expect(methods == ["GET"], "\(methods)")
            #expect(backends.requests.contains { $0.path.hasPrefix("/orders/AB-10001") })

            let json = try await offPool {
                try runProcess(binary, ["replay", "--data", directory.dataPath, "--policy", path, "--live", "--format", "json"], environment: environment)
            }
            let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
            let changes = try #require(object["changes"] as? [[String: Any]])
            let steps = changes.flatMap { ($0["live"] as? [[String: Any]]) ?? [] }
            #expect(steps.contains { $0["effect"] as? String == "lookup order_status_v2" && $0["performed"] as? Bool == true && $0["outcome"] as? String == "ok" })
        }
        let usage = try await ledgerbot(["replay", "--data", directory.dataPath, "--live"])
        #expect(usage.status == 64)
    }

    /// `--live` also performs the read-only effects of decisions the new version makes where
    /// the recorded bot said nothing: here the recorded version had no monitoring, and the new
    /// one looks an order up for the agent after the hand-off.
    @Test func liveWhatIfPerformsLookupsWhereTheRecordedBotSaidNothing() async throws {
        let temp = TemporaryDirectory()
        let directory = temp.ledgerDirectory
        let original = try String(contentsOf: fixturesDirectory().appendingPathComponent("policies/shop-bot.yml"), encoding: .utf8)
        let monitoring = try #require(original.range(of: "monitoring:\n"))
        let end = try #require(original.range(of: "\n\n", range: monitoring.upperBound..<original.endIndex))
        let silent = original.replacingCharacters(in: monitoring.lowerBound..<end.upperBound, with: "")
        #expect(!silent.contains("monitoring:"))
        try await BotStack.run(yaml: silent, directory: directory) { bot in
            let conversation = try await bot.chatwoot.startConversation(VisitorProfile(name: "Maria Silva", email: "maria@example.com"))
            try await bot.customer("get me an agent", in: conversation)
            try await bot.customer("it is about order AB-10001", in: conversation) // a human owns it: the recorded bot says nothing
        }
        let path = fixturesDirectory().appendingPathComponent("policies/shop-bot.yml").path
        let offline = try await ledgerbot(["replay", "--data", directory.dataPath, "--policy", path])
        #expect(offline.stdout.contains("lookup order_status — conversation"), "\(offline.stdout)")
        try await SampleBackends.withRunning { backends in
            let environment = ProcessInfo.processInfo.environment.merging(["SHOP_API": backends.baseURL]) { $1 }
            let binary = self.binary
            let live = try await offPool {
                try runProcess(binary, ["replay", "--data", directory.dataPath, "--policy", path, "--live"], environment: environment)
            }
            #expect(live.stdout.contains("live: lookup order_status → ok ("), "\(live.stdout)\(live.stderr)")
            #expect(!live.stdout.contains("lookup order_status — conversation"), "\(live.stdout)")
            #expect(backends.requests.contains { $0.method == "GET" && $0.path.hasPrefix("/orders/AB-10001") })
        }
    }

    @Test func aDecisionThatTheBotWouldNotMakeIsReported() async throws {
        let temp = TemporaryDirectory()
        let directory = temp.ledgerDirectory
        try await record(directory)
        // Rewrite one recorded reply through export/import (the ledger itself cannot be edited in place).
        let export = try await ledgerbot(["ledger", "export", "--data", directory.dataPath])
        #expect(export.status == 0)
        let tampered = export.stdout.replacingOccurrences(of: "Hi Maria, how can I help?", with: "Hi Maria, buy our premium plan!")
        #expect(tampered != export.stdout)
        let copy = temp.path + "/copy"
        let input = temp.path + "/tampered.jsonl"
        try tampered.write(toFile: input, atomically: true, encoding: .utf8)
        let imported = try await ledgerbot(["ledger", "import", "--data", copy, "--input", input])
        #expect(imported.status == 0, "\(imported.stderr)")
        let replay = try await ledgerbot(["replay", "--data", copy])
        #expect(replay.status == 1)
        #expect(replay.stdout.contains("1 changed"))
        #expect(replay.stdout.contains("buy our premium plan"))
    }

    /// A ledger read while the bot was still deciding its last input (replay takes no lock), or
    /// left by a `serve` that stopped first: that input has no decision yet. Under the recorded
    /// versions that is a warning, not a changed decision (it was exit 1, and a rerun differed).
    @Test func anInputNotDecidedYetAtTheEndIsAWarningNotAChange() async throws {
        let temp = TemporaryDirectory()
        let directory = temp.ledgerDirectory
        try await record(directory)
        let export = try await ledgerbot(["ledger", "export", "--data", directory.dataPath])
        var lines = export.stdout.split(separator: "\n").map(String.init)
        let last = try #require(lines.lastIndex { $0.contains(#""type":"decision""#) })
        lines.removeSubrange(last...) // the last decision, and everything after it, not written yet
        let input = temp.path + "/cut.jsonl"
        try (lines.joined(separator: "\n") + "\n").write(toFile: input, atomically: true, encoding: .utf8)
        let copy = temp.path + "/copy"
        #expect(try await ledgerbot(["ledger", "import", "--data", copy, "--input", input]).status == 0)
        let replay = try await ledgerbot(["replay", "--data", copy])
        #expect(replay.status == 0, "\(replay.stdout)")
        #expect(replay.stdout.contains("warning: 1 input(s) after the last recorded decision"), "\(replay.stdout)")
        #expect(replay.stdout.contains("they are not compared"), "\(replay.stdout)")
    }

    @Test func aMissingLedgerIsAnError() async throws {
        let temp = TemporaryDirectory()
        let result = try await ledgerbot(["replay", "--data", temp.path + "/nothing"])
        #expect(result.status == 2)
        #expect(result.stderr.contains("does not exist"))
    }

    @Test func aPolicyThatDiffersOnlyInACommentChangesNothing() async throws {
        let temp = TemporaryDirectory()
        let directory = temp.ledgerDirectory
        try await record(directory)
        let original = try String(contentsOf: fixturesDirectory().appendingPathComponent("policies/shop-bot.yml"), encoding: .utf8)
        let path = temp.path + "/commented.yml"
        try ("# reviewed by the support lead on Monday\n" + original).write(toFile: path, atomically: true, encoding: .utf8)
        let result = try await ledgerbot(["replay", "--data", directory.dataPath, "--policy", path])
        #expect(result.status == 0, "\(result.stdout)")
        #expect(result.stdout.contains("decides exactly as the recorded one"))
    }

    @Test func aCorruptedLedgerFailsWithTheVerifyErrorNotAReport() async throws {
        let temp = TemporaryDirectory()
        let directory = temp.ledgerDirectory
        try await record(directory)
        let segments = try FileManager.default.contentsOfDirectory(atPath: directory.ledgerPath).filter { $0.hasSuffix(".lbs") }.sorted()
        let segment = directory.ledgerPath + "/" + segments[0]
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: segment)))
        // One bit in the middle of the payload of the frame that holds the segment's middle byte
        // (frames: a 60-byte header whose bytes 4..<8 give the payload length, after the
        // segment's 96-byte header); not the last frame, whose damage reads like a torn write.
        var start = 96
        while true {
            let length = Int(bytes[start + 4]) | Int(bytes[start + 5]) << 8 | Int(bytes[start + 6]) << 16 | Int(bytes[start + 7]) << 24
            let end = start + 60 + length
            #expect(end < bytes.count, "the segment has a frame after the middle one")
            if end > bytes.count / 2 {
                bytes[start + 60 + length / 2] ^= 0x40
                break
            }
            start = end
        }
        try Data(bytes).write(to: URL(fileURLWithPath: segment))
        for threads in ["1", "2"] {
            let result = try await ledgerbot(["replay", "--data", directory.dataPath, "--threads", threads])
            #expect(result.status == 2, "--threads \(threads)")
            #expect(result.stdout.isEmpty, "no report from a damaged ledger")
            // The verify error: where the damage is (segment, offset, seq), or that acknowledged events are missing.
            #expect(result.stderr.contains("checksum mismatch at segment") || result.stderr.contains("the ledger is damaged"), "\(result.stderr)")
        }
    }
}
