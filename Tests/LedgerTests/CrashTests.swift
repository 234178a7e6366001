import Foundation
import LedgerbotTesting
import Testing
@testable import Ledger

/// Crash and fault tests against a real child process (`LedgerbotTestHelper`).
@Suite struct CrashTests {
    private var helper: URL { productsDirectory().appendingPathComponent("LedgerbotTestHelper") }

    private func body(_ n: Int) -> [UInt8] {
        Array("{\"event\":\"message_created\",\"id\":\(n),\"content\":\"message number \(n) with some text to compress\",\"message_type\":\"incoming\"}".utf8)
    }

    /// Reads the child's stdout line by line until `enough` returns true or the pipe closes.
    private func readLines(_ handle: FileHandle, into lines: inout [String], pending: inout String, until enough: ([String]) -> Bool) {
        while !enough(lines) {
            let data = handle.availableData
            if data.isEmpty { return }
            pending += String(decoding: data, as: UTF8.self)
            while let newline = pending.firstIndex(of: "\n") {
                lines.append(String(pending[..<newline]))
                pending = String(pending[pending.index(after: newline)...])
            }
        }
    }

    @Test(arguments: [50, 400, 1500])
    func killNineMidAppendLosesNoAcknowledgedEvent(acksBeforeKill: Int) async throws {
        let temp = TemporaryDirectory()
        let dataPath = temp.ledger.dataPath
        let acks = try await offPool { try self.runAndKill(dataPath, acksBeforeKill: acksBeforeKill) }
        #expect(acks.count >= acksBeforeKill)

        // Restart: recovery truncates at most an unacknowledged torn frame.
        let (ledger, report) = try FileLedger.open(directory: temp.ledger)
        let head = report.headSeq
        await ledger.close()
        let events = try readAll(temp.ledger)
        #expect(events.count == Int(head))
        for ack in acks {
            let (first, last, writer, n) = (ack[0], ack[1], ack[2], ack[3])
            #expect(last <= Int(head), "acknowledged seq \(last) must survive the crash (head \(head))")
            guard last <= Int(head) else { continue }
            for (i, seq) in (first...last).enumerated() {
                let event = events[seq - 1]
                #expect(event.stream == "1/\(writer)")
                #expect(event.body == body(n * 10 + i))
            }
        }
        try #require(try LedgerInspection.verify(directory: temp.ledger).isIntact)
    }

    /// Starts the child, lets it acknowledge `acksBeforeKill` appends, kills it with SIGKILL
    /// and returns every `acked` line it printed before dying.
    private func runAndKill(_ dataPath: String, acksBeforeKill: Int) throws -> [[Int]] {
        let process = Process()
        process.executableURL = helper
        process.arguments = ["append-loop", dataPath, "8"]
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        var lines: [String] = []
        var pending = ""
        readLines(out.fileHandleForReading, into: &lines, pending: &pending) { $0.count > acksBeforeKill }
        kill(process.processIdentifier, SIGKILL)
        readLines(out.fileHandleForReading, into: &lines, pending: &pending) { _ in false } // drain what was printed before death
        process.waitUntilExit()
        #expect(process.terminationReason == .uncaughtSignal)
        return lines.filter { $0.hasPrefix("acked ") }.map { $0.split(separator: " ").dropFirst().map { Int($0)! } }
    }

    @Test func aWriteErrorSurfacesAsAnErrorAndLosesNothingAcknowledged() async throws {
        let temp = TemporaryDirectory()
        let helper = self.helper
        let dataPath = temp.ledger.dataPath
        let result = try await offPool { try runProcess(helper, ["append-until-error", dataPath, "200000"]) }
        #expect(result.status == 3, "the child reports the error and exits cleanly: \(result.stderr)")
        let lines = result.stdout.split(separator: "\n")
        let acks = lines.filter { $0.hasPrefix("acked ") }
        let errorLine = lines.first { $0.hasPrefix("error ") }
        #expect(acks.count > 20)
        #expect(errorLine?.contains("File too large") == true, "got: \(errorLine ?? "no error line")")

        let report = try LedgerInspection.verify(directory: temp.ledger)
        #expect(report.isIntact)
        #expect(report.tornTail == nil, "a failed write is truncated back to the frame boundary")
        #expect(report.headSeq == Seq(acks.count))
        #expect(acks.last == "acked \(acks.count) \(acks.count)", "after the failed write, a small append succeeds")
    }
}
