import Foundation
import LedgerbotTesting
import Testing

/// The golden ledgers in `snapshots/` (recorded from the demo scenarios by
/// `tools/regenerate-snapshots.sh`): imported, replayed, audited and summarised by the current
/// build, every output compared byte for byte with the recorded expectation. A change of the
/// reactor, the policy format or a formatter shows up here as a diff to review.
@Suite struct SnapshotTests {
    private let binary = productsDirectory().appendingPathComponent("ledgerbot")
    static let scenarios = ["support-triage", "ecommerce-orders", "news-recommendations", "booking"]

    private var snapshots: URL { fixturesDirectory().deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("snapshots") }

    private func ledgerbot(_ arguments: [String]) async throws -> (status: Int32, stdout: String, stderr: String) {
        let binary = self.binary
        return try await offPool { try runProcess(binary, arguments) }
    }

    @Test(arguments: scenarios)
    func goldenLedgerReplaysAndRendersAsRecorded(_ scenario: String) async throws {
        let folder = snapshots.appendingPathComponent(scenario)
        let temp = TemporaryDirectory()
        let data = temp.path + "/data"
        let imported = try await ledgerbot(["ledger", "import", "--data", data, "--input", folder.appendingPathComponent("ledger.jsonl").path])
        #expect(imported.status == 0, "\(imported.stderr)")
        let conversation = try String(contentsOf: folder.appendingPathComponent("conversation"), encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        var runs: [(String, [String], Int32)] = [
            ("replay.txt", ["replay", "--data", data], 0),
            ("audit.txt", ["audit", "--data", data, "--conversation", conversation], 0),
            ("summary.txt", ["summary", "--data", data, "--conversation", conversation], 0),
            ("summary.json", ["summary", "--data", data, "--conversation", conversation, "--format", "json"], 0),
        ]
        if scenario == "support-triage" {
            let v2 = snapshots.deletingLastPathComponent().appendingPathComponent("examples/support-triage-v2.yml").path
            runs.append(("replay-v2.txt", ["replay", "--data", data, "--policy", v2], 1))
        }
        for (file, arguments, status) in runs {
            let expected = try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8)
            let result = try await ledgerbot(arguments)
            #expect(result.status == status, "\(file): exit \(result.status) \(result.stderr)")
            #expect(result.stdout == expected, "\(scenario)/\(file) differs from the snapshot; if the change is intended, run tools/regenerate-snapshots.sh and review the diff")
        }
    }
}
