import Chatwoot
import Domain
import Foundation
import Ledger
import LedgerbotTesting
import Projections
import Server
import Testing

/// Every fixture mutated in the ways a broken proxy, an old Chatwoot or an attacker would:
/// the server answers with the right status, never crashes, and loses no authentic delivery.
@Suite struct BadInputTests {
    /// Mutations that keep a JSON object: Chatwoot must get 200 and the bytes must be stored as sent.
    static func objectMutations(_ object: [String: Any]) -> [(String, [String: Any])] {
        var result: [(String, [String: Any])] = []
        for key in object.keys.sorted() {
            var removed = object
            removed[key] = nil
            result.append(("without \(key)", removed))
            var nulled = object
            nulled[key] = NSNull()
            result.append(("\(key) null", nulled))
            var wrongType = object
            wrongType[key] = object[key] is String ? 12345 : "a string"
            result.append(("\(key) wrong type", wrongType))
            if key.hasSuffix("_at") {
                // Times near Int64's limit in µs: they crashed ingest's compact form.
                for extreme in ["9223372036854.9", "-9223372036854"].map({ NSDecimalNumber(string: $0) }) {
                    var far = object
                    far[key] = extreme
                    result.append(("\(key) \(extreme)", far))
                }
            }
        }
        var extra = object
        extra["unexpected_field"] = ["nested": [1, 2, 3]]
        result.append(("extra field", extra))
        var huge = object
        huge["content"] = String(repeating: "ção 🚀 ", count: 40_000)
        result.append(("huge string", huge))
        var unknown = object
        unknown["event"] = "conversation_typing_on"
        result.append(("unknown event", unknown))
        return result
    }

    @Test func mutatedFixturesAreAcknowledgedAndStoredVerbatim() async throws {
        let temp = TemporaryDirectory()
        var cases: [(String, [UInt8])] = []
        for name in webhookFixtures {
            let object = try JSONSerialization.jsonObject(with: Data(try chatwootFixture(name))) as! [String: Any]
            for (label, mutated) in Self.objectMutations(object) {
                cases.append(("\(name): \(label)", [UInt8](try JSONSerialization.data(withJSONObject: mutated))))
            }
        }
        let sent = cases
        // With the compact form `serve` records beside each webhook: deriving it reads every field.
        let form = WebhookCompactForm(name: WebhookDigest.compactFormName, derive: WebhookDigest.compactForm(of:))
        try await ServerHarness.with(directory: temp.ledgerDirectory, compactForm: form) { server in
            for (i, (label, body)) in sent.enumerated() {
                let reply = try await server.post(body, headers: ["Content-Type": "text/plain", "X-Chatwoot-Delivery": "mutation-\(i)"])
                #expect(reply.status == 200, "\(label): \(reply.body)")
            }
            #expect(try await server.get("/healthz").status == 200)
        }
        let stored = try readLedger(temp.ledgerDirectory).filter { $0.type == EventType.webhookReceived }.map(\.body)
        #expect(stored.count == sent.count)
        let verbatim = stored == sent.map(\.1) // compared as a Bool: a failure must not print megabytes
        #expect(verbatim, "every acknowledged delivery is stored byte for byte, in order")
    }

    @Test func malformedBodiesGet400AndAnExcerptIsRecorded() async throws {
        let temp = TemporaryDirectory()
        let incoming = try chatwootFixture("webhook-message_created-incoming.json")
        let deep = Array(String(repeating: "{\"a\":", count: 50_000).utf8) + [0x31] + Array(String(repeating: "}", count: 50_000).utf8)
        let bad: [(String, [UInt8])] = [
            ("empty body", []),
            ("truncated JSON", Array(incoming.prefix(incoming.count / 2))),
            ("JSON array", Array("[1,2,3]".utf8)),
            ("JSON string", Array("\"message_created\"".utf8)),
            ("invalid UTF-8", Array("{\"content\":\"".utf8) + [0xC3, 0x28, 0xFF] + Array("\"}".utf8)),
            ("deep nesting", deep),
            ("form encoded", Array("event=message_created&id=1".utf8)),
            ("trailing garbage", incoming + Array("}}".utf8)),
        ]
        let cases = bad
        try await ServerHarness.with(directory: temp.ledgerDirectory) { server in
            for (label, body) in cases {
                let reply = try await server.post(body)
                #expect(reply.status == 400, "\(label): \(reply.status) \(reply.body)")
            }
            // The server is still up and still stores good deliveries.
            #expect(try await server.post(incoming, headers: ["X-Chatwoot-Delivery": "after"]).status == 200)
        }
        let events = try readLedger(temp.ledgerDirectory)
        let rejected = events.filter { $0.type == EventType.webhookRejected }
        #expect(rejected.count == bad.count)
        #expect(rejected.allSatisfy { $0.body.count <= 512 })
        #expect(events.last?.type == EventType.webhookReceived)
    }

    /// The longest message Chatwoot accepts (150,000 characters), in the worst case for its size:
    /// every character escaped by Rails (`<` as `\u003c`), the text three times in the payload.
    @Test func theLargestDeliveryChatwootCanSendIsStored() async throws {
        let temp = TemporaryDirectory()
        let text = String(repeating: "\\u003c", count: 150_000)
        let fixture = String(decoding: try chatwootFixture("webhook-message_created-incoming.json"), as: UTF8.self)
        // `content`, the conversation's last message and its `processed_message_content`.
        let body = fixture.replacingOccurrences(of: "\"Hi, I need help with my order\"", with: "\"\(text)\"")
        #expect(body.components(separatedBy: text).count == 4)
        let bytes = Array(body.utf8)
        #expect(bytes.count > 2_700_000)
        let status = try await ServerHarness.with(directory: temp.ledgerDirectory, configuration: ServerConfiguration()) { server in
            try await server.post(bytes).status
        }
        #expect(status == 200)
        let stored = try readLedger(temp.ledgerDirectory).filter { $0.type == EventType.webhookReceived }
        let storedVerbatim = stored.count == 1 && stored[0].body == bytes // not in the expectation: a failure would print 2.7 MB
        #expect(storedVerbatim, "\(stored.count) webhook(s) stored, \(stored.first?.body.count ?? 0) bytes")
    }

    @Test func bodiesOverTheLimitGet413() async throws {
        let temp = TemporaryDirectory()
        var configuration = ServerConfiguration()
        configuration.bodyLimit = 8 * 1024
        let big = Array("{\"content\":\"".utf8) + Array(repeating: UInt8(ascii: "x"), count: 9000) + Array("\"}".utf8)
        let good = try chatwootFixture("webhook-message_created-incoming.json")
        let statuses = try await ServerHarness.with(directory: temp.ledgerDirectory, configuration: configuration) { server in
            [try await server.post(big).status, try await server.post(good).status]
        }
        #expect(statuses == [413, 200])
        let rejected = try readLedger(temp.ledgerDirectory).first { $0.type == EventType.webhookRejected }
        #expect(rejected.map { String(decoding: $0.meta, as: UTF8.self).contains("too_large") } == true)
    }

    /// A client that stops half-way through its body is disconnected after the idle timeout,
    /// so it cannot hold what it sent (up to the body limit per connection) for ever; the
    /// server goes on answering others.
    @Test func anUploadThatStopsHalfWayIsDisconnected() async throws {
        let temp = TemporaryDirectory()
        var configuration = ServerConfiguration()
        configuration.idleTimeout = .milliseconds(300)
        let good = try chatwootFixture("webhook-message_created-incoming.json")
        let (closed, status) = try await ServerHarness.with(directory: temp.ledgerDirectory, configuration: configuration) { server in
            let port = server.port
            let closed = try await offPool { () throws -> Bool in
                let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
                defer { close(fd) }
                var address = sockaddr_in()
                address.sin_family = sa_family_t(AF_INET)
                address.sin_port = in_port_t(UInt16(port).bigEndian)
                address.sin_addr.s_addr = inet_addr("127.0.0.1")
                let connected = withUnsafePointer(to: &address) { pointer in
                    pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
                }
                guard connected else { return false }
                var timeout = timeval(tv_sec: 20, tv_usec: 0) // liveness: without the idle timeout, the read below waits 20 s and fails the test
                setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
                let head = Array("POST /webhooks/chatwoot HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{\"event\":".utf8)
                _ = write(fd, head, head.count)
                var buffer = [UInt8](repeating: 0, count: 1024)
                while true {
                    let count = read(fd, &buffer, buffer.count)
                    if count == 0 { return true } // the server closed the connection
                    if count < 0 { return false } // still open when the liveness bound ran out
                }
            }
            return (closed, try await server.post(good).status)
        }
        #expect(closed)
        #expect(status == 200)
    }
}
