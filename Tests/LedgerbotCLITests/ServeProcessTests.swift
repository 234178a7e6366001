import AsyncHTTPClient
import Foundation
import LedgerbotTesting
import NIOCore
import Testing
@testable import Ledger

/// `ledgerbot serve` as a real child process: crash and shutdown behaviour under load.
@Suite struct ServeProcessTests {
    private let binary = productsDirectory().appendingPathComponent("ledgerbot")

    private func serve(_ data: String) -> [String] {
        ["serve", "--data", data, "--port", "0", "--log-level", "warning"]
    }

    private func post(_ client: HTTPClient, port: Int, body: [UInt8], delivery: String) async throws -> Int {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/webhooks/chatwoot")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "X-Chatwoot-Delivery", value: delivery)
        request.body = .bytes(ByteBuffer(bytes: body))
        return Int(try await client.execute(request, timeout: .seconds(10)).status.code)
    }

    private func storedDeliveries(_ data: String) throws -> [String] {
        let cursor = try LedgerCursor(directory: LedgerDirectory(dataPath: data))
        var ids: [String] = []
        while let event = try cursor.next() {
            guard event.type == "webhook.received" || event.type == "webhook.duplicate" else { continue }
            let meta = String(decoding: event.meta, as: UTF8.self)
            if let range = meta.range(of: #""delivery":"[^"]+""#, options: .regularExpression) {
                ids.append(String(meta[range].dropFirst(12).dropLast()))
            }
        }
        return ids
    }

    /// An empty secret (say, an undefined `${VAR}` in a deployment file) refuses to start instead
    /// of turning signature checks off; credentials in `--chatwoot-url` never reach the log.
    @Test func anEmptySecretRefusesToStartAndURLCredentialsAreNotLogged() async throws {
        let binary = self.binary
        var environment = ProcessInfo.processInfo.environment
        environment["LEDGERBOT_WEBHOOK_SECRET"] = ""
        let emptySecret = environment
        let empty = try await offPool { try runProcess(binary, ["serve", "--data", "/proc/ledgerbot-test/data"], environment: emptySecret) } // a --data that cannot be created: never left running
        #expect(empty.status == 64, "\(empty.stderr)")
        #expect(empty.stderr.contains("LEDGERBOT_WEBHOOK_SECRET is set but empty"), "\(empty.stderr)")
        let negativeAge = try await offPool { try runProcess(binary, ["serve", "--data", "/proc/ledgerbot-test/data", "--max-message-age=-1"]) }
        #expect(negativeAge.status == 64 && negativeAge.stderr.contains("--max-message-age must be 0 (no limit)"), "\(negativeAge.stderr)")

        environment["LEDGERBOT_WEBHOOK_SECRET"] = nil
        environment["LEDGERBOT_CHATWOOT_TOKEN"] = "bot-token"
        // A --data that cannot be created: serve logs its start-up lines, then stops.
        let withToken = environment
        let logged = try await offPool {
            try runProcess(binary, ["serve", "--data", "/proc/ledgerbot-test/data", "--chatwoot-url", "https://bot:PASSWD99@chat.example.com/base"],
                           environment: withToken)
        }
        #expect(logged.status != 0)
        #expect(logged.stderr.contains("chatwoot.url=https://chat.example.com/base"), "\(logged.stderr)")
        #expect(!logged.stderr.contains("PASSWD99") && !logged.stdout.contains("PASSWD99"))
    }

    @Test func killNineUnderLoadLosesNoAcknowledgedDelivery() async throws {
        let temp = TemporaryDirectory()
        let data = temp.path + "/data"
        let body = try chatwootFixture("webhook-message_created-incoming.json")
        let server = try ChildProcess(binary, serve(data))
        let port = try await server.waitForPort()
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        let acked = LockedBox([String]())
        let target = 400
        // A bounded load loop: 16 clients, at most 100 deliveries each; the kill comes after `target` acks.
        await withTaskGroup(of: Void.self) { group in
            for clientIndex in 0..<16 {
                group.addTask {
                    for n in 0..<100 {
                        let id = "c\(clientIndex)-\(n)"
                        guard let status = try? await post(client, port: port, body: body, delivery: id) else { return }
                        let count = acked.mutate { ids in
                            if status == 200 { ids.append(id) }
                            return ids.count
                        }
                        if count >= target, clientIndex == 0 {
                            kill(server.process.processIdentifier, SIGKILL)
                            return
                        }
                    }
                }
            }
        }
        try await client.shutdown()
        try await offPool { [server] in server.process.waitUntilExit() }
        #expect(server.process.terminationReason == .uncaughtSignal)
        let ackedIDs = acked.value
        #expect(ackedIDs.count >= target)

        // Restart the server on the same data (recovery), stop it gracefully, then check.
        let again = try ChildProcess(binary, serve(data))
        _ = try await again.waitForPort()
        kill(again.process.processIdentifier, SIGTERM)
        try await offPool { [again] in again.process.waitUntilExit() }
        #expect(again.process.terminationStatus == 0)
        let stored = Set(try storedDeliveries(data))
        let missing = ackedIDs.filter { !stored.contains($0) }
        #expect(missing.isEmpty, "acknowledged but lost: \(missing.prefix(5))")
        #expect(try LedgerInspection.verify(directory: LedgerDirectory(dataPath: data)).isIntact)
    }

    @Test func sigtermFinishesInFlightAppendsAndReleasesTheLedger() async throws {
        let temp = TemporaryDirectory()
        let data = temp.path + "/data"
        let body = try chatwootFixture("webhook-message_updated-form-submitted.json")
        let server = try ChildProcess(binary, serve(data))
        let port = try await server.waitForPort()
        let statuses = try await HTTPClient.withHTTPClient { client in
            var statuses: [Int] = []
            for n in 0..<20 { statuses.append(try await post(client, port: port, body: body, delivery: "t\(n)")) }
            return statuses
        }
        #expect(statuses == Array(repeating: 200, count: 20))
        kill(server.process.processIdentifier, SIGTERM)
        try await offPool { [server] in server.process.waitUntilExit() }
        #expect(server.process.terminationStatus == 0)
        let (ledger, report) = try FileLedger.open(directory: LedgerDirectory(dataPath: data))
        #expect(report.truncated == nil, "a graceful stop leaves no torn tail")
        await ledger.close()
        // Every delivery, in full (beside them, the pause `serve` without a policy records).
        #expect(try storedDeliveries(data).count == 20 && report.headSeq >= 20)
    }
}
