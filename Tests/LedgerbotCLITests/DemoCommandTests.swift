import Foundation
import LedgerbotTesting
import Testing

/// `ledgerbot demo`, the README's first command, as a user runs it: a child process, no setup.
@Suite struct DemoCommandTests {
    private let binary = productsDirectory().appendingPathComponent("ledgerbot")

    @Test func theDemoPlaysEveryScenarioAndEveryLedgerReplaysIdentically() async throws {
        let temp = TemporaryDirectory()
        let binary = self.binary
        let result = try await offPool { try runProcess(binary, ["demo", "--data", temp.path + "/demo"]) }
        #expect(result.status == 0, "\(result.stdout)\n\(result.stderr)")
        let out = result.stdout
        #expect(!out.contains("\u{1B}["), "no colours when piped")
        for scenario in ["support-triage", "ecommerce-orders", "news-recommendations", "booking"] {
            #expect(out.contains("▶ ") && out.contains(scenario))
            #expect(FileManager.default.fileExists(atPath: temp.path + "/demo/\(scenario)/ledger/LEDGER"))
        }
        #expect(out.components(separatedBy: "replay identical").count - 1 == 4)
        // A hand-off with its note, a status change, the hand-back, cards, a form, a booking, a rating.
        for expected in ["note      **Bot hand-off** — customer asked for a human", "status    pending → open", "status    open → pending",
                         "▣ ", "customer  submits the form:", "Your reference is BK-0001", "customer  rates 5/5"] {
            #expect(out.contains(expected), "missing \(expected)")
        }
        // A second run does not touch the first run's ledgers.
        let again = try await offPool { try runProcess(binary, ["demo", "--data", temp.path + "/demo", "--scenario", "booking"]) }
        #expect(again.status == 0)
        #expect(FileManager.default.fileExists(atPath: temp.path + "/demo/run-1/booking/ledger/LEDGER"))
    }

    /// A step the bot gave no occasion for (here a policy whose greeting lost its topic buttons,
    /// so the customer has nothing to click) is a failure: said on its line, in the summary and
    /// in the exit status, though every decision still replays identically.
    @Test func aScriptStepThatCannotBePlayedFailsTheDemo() async throws {
        let temp = TemporaryDirectory()
        let examples = fixturesDirectory().deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("examples")
        let policies = temp.path + "/policies"
        try FileManager.default.copyItem(atPath: examples.path, toPath: policies)
        let file = policies + "/news-recommendations.yml"
        let original = try String(contentsOfFile: file, encoding: .utf8)
        let greeting = "  greet:\n    reply:\n      text: \"Hello{{#contact.first_name}} {{contact.first_name}}{{/contact.first_name}}! Which topic would you like to read about?\"\n      input_select:\n"
        try #require(original.contains(greeting))
        let changed = original.replacingOccurrences(of: greeting, with: "  greet:\n    reply:\n      text: \"Hello! Which topic?\"\n      unused_select:\n")
            .replacingOccurrences(of: "      unused_select:\n        slot: topic\n        next: recommend\n        options:\n          - {title: Technology, value: technology}\n          - {title: Sports, value: sports}\n          - {title: Business, value: business}\n", with: "")
        try changed.write(toFile: file, atomically: true, encoding: .utf8)
        let binary = self.binary
        let result = try await offPool {
            try runProcess(binary, ["demo", "--scenario", "news-recommendations", "--policies", policies, "--data", temp.path + "/demo"])
        }
        #expect(result.status == 1, "\(result.stdout)\n\(result.stderr)")
        #expect(result.stdout.contains("✗ the script expected the bot to have sent a input_select message"), "\(result.stdout)")
        #expect(result.stdout.contains("replay identical  1 SCRIPT STEP(S) FAILED"), "\(result.stdout)")
        #expect(result.stdout.contains("1 script step(s) could not be played"), "\(result.stdout)")
    }

    @Test func anUnknownScenarioIsAUsageError() async throws {
        let binary = self.binary
        let result = try await offPool { try runProcess(binary, ["demo", "--scenario", "nope"]) }
        #expect(result.status == 64)
        #expect(result.stderr.contains("--scenario must be all or one of"))
    }
}

/// `ledgerbot demo --interactive` on a pseudo-terminal (util-linux `script` provides it), the
/// way a person uses it: typed lines in, the bot's replies out.
@Suite struct InteractiveDemoTests {
    @Test func typedLinesReachTheBotAndItsRepliesComeBack() async throws {
        let temp = TemporaryDirectory()
        let binary = productsDirectory().appendingPathComponent("ledgerbot").path
        let command = "\(binary) demo --interactive --scenario ecommerce-orders --no-color --data \(temp.path)/demo"
        let input = Data("hello\nwhere is my order?\nAB-10002\n/agent Hi, Sam here\n/quit\n".utf8)
        let result = try await offPool {
            try runProcess(URL(fileURLWithPath: "/usr/bin/script"), ["-q", "-e", "-c", command, "/dev/null"], stdin: input)
        }
        #expect(result.status == 0, "\(result.stdout)\n\(result.stderr)")
        let out = result.stdout
        for expected in ["customer  hello", "customer  where is my order?", "Order AB-10002 is processing", "agent     Hi, Sam here"] {
            #expect(out.contains(expected), "missing \(expected) in:\n\(out)")
        }
        #expect(FileManager.default.fileExists(atPath: temp.path + "/demo/ecommerce-orders/ledger/LEDGER"))
    }
}
