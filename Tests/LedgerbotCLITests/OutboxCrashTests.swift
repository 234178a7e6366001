import AsyncHTTPClient
import Chatwoot
import Foundation
import Ledger
import LedgerbotTesting
import Simulator
import Testing

/// `kill -9` of the bot process between decision and effect, and between effect and result,
/// then restart: every customer-visible message is delivered, none twice where the echo was recorded.
/// The bot is `LedgerbotTestHelper bot` (real ingest server + outbox, stand-in reactor) against the
/// Chatwoot simulator over loopback HTTP.
@Suite struct OutboxCrashTests {
    private let helper = productsDirectory().appendingPathComponent("LedgerbotTestHelper")

    /// Starts the bot child and returns it with its port (read from its `listening <port>` line).
    /// Returns the process, its port, its stdout, and what was already read from it.
    private func startBot(data: String, chatwoot: ChatwootSimulator, crash: String) async throws -> (Process, Int, FileHandle, String) {
        let helper = self.helper
        let base = chatwoot.baseURL.absoluteString
        let token = chatwoot.accessToken
        return try await offPool {
            let process = Process()
            process.executableURL = helper
            process.arguments = ["bot", data, base, token, crash]
            let out = Pipe()
            process.standardOutput = out
            process.standardError = FileHandle.nullDevice
            try process.run()
            var text = ""
            var port: Int?
            while port == nil {
                let chunk = out.fileHandleForReading.availableData
                if chunk.isEmpty { break }
                text += String(decoding: chunk, as: UTF8.self)
                port = text.split(separator: "\n").first { $0.hasPrefix("listening ") }.flatMap { Int($0.dropFirst(10)) }
            }
            guard let port else { throw CocoaError(.fileReadCorruptFile) }
            return (process, port, out.fileHandleForReading, text)
        }
    }

    /// Kills `process` after a minute: a deadline that keeps a broken child from hanging the suite.
    static func watchdog(_ process: Process) -> Task<Void, any Error> {
        let pid = process.processIdentifier
        return Task {
            try await Task.sleep(for: .seconds(60))
            kill(pid, SIGKILL)
        }
    }

    private func effectOutcomes(_ data: String) throws -> [String] {
        let cursor = try LedgerCursor(directory: LedgerDirectory(dataPath: data))
        var outcomes: [String] = []
        while let event = try cursor.next() {
            guard event.type == "effect.result" else { continue }
            let text = String(decoding: event.body, as: UTF8.self)
            if let range = text.range(of: #""outcome":"[a-z]+""#, options: .regularExpression) {
                outcomes.append(String(text[range].dropFirst(11).dropLast()))
            }
        }
        return outcomes
    }

    @Test(arguments: ["crash-after-decision", "crash-after-echo"])
    func aCrashedBotDeliversEachReplyExactlyOnceAfterRestart(crash: String) async throws {
        let temp = TemporaryDirectory()
        let data = temp.path + "/data"
        try await ChatwootSimulator.withRunning { chatwoot in
            let (first, port, _, _) = try await startBot(data: data, chatwoot: chatwoot, crash: crash)
            await chatwoot.connectBot(url: URL(string: "http://127.0.0.1:\(port)/webhooks/chatwoot"))
            let conversation = try await chatwoot.startConversation()
            try await chatwoot.customerSays("hello", in: conversation)
            let firstWatchdog = Self.watchdog(first)
            try await offPool { first.waitUntilExit() } // it kills itself at the crash point
            firstWatchdog.cancel()
            #expect(first.terminationReason == .uncaughtSignal)

            let (second, newPort, output, alreadyRead) = try await startBot(data: data, chatwoot: chatwoot, crash: crash)
            await chatwoot.connectBot(url: URL(string: "http://127.0.0.1:\(newPort)/webhooks/chatwoot"))
            try await chatwoot.waitUntil(timeout: .seconds(20)) { simulator in
                try await simulator.transcript(of: conversation).contains { $0.content == "echo: hello" }
            }
            // The restarted bot prints `effect <outcome>` once the result is recorded. A watchdog
            // ends the child if that never happens, so the read below cannot hang the suite.
            let watchdog = Self.watchdog(second)
            defer { watchdog.cancel() }
            let line = try await offPool { () -> String in
                var text = alreadyRead
                while !text.contains("effect ") {
                    let chunk = output.availableData
                    if chunk.isEmpty { break }
                    text += String(decoding: chunk, as: UTF8.self)
                }
                return text
            }
            #expect(line.contains("effect "))
            kill(second.processIdentifier, SIGTERM)
            try await offPool { second.waitUntilExit() }
            let replies = try await chatwoot.transcript(of: conversation).filter { $0.content == "echo: hello" }
            #expect(replies.count == 1, "\(crash): the reply reached the customer exactly once")
            let outcomes = try effectOutcomes(data)
            #expect(outcomes == [crash == "crash-after-echo" ? "recovered" : "ok"])
        }
    }
}
