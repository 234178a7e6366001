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
