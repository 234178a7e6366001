import Chatwoot
import Domain
import Foundation
import Ledger
import LedgerbotTesting
import Server
import Synchronization
import Testing

@Suite struct WebhookIngestTests {
    @Test func everyFixtureIsStoredByteForByteAndAnswered200() async throws {
        let temp = TemporaryDirectory()
        let bodies = try webhookFixtures.map(chatwootFixture)
        try await ServerHarness.with(directory: temp.ledgerDirectory) { server in
            for (i, body) in bodies.enumerated() {
                let reply = try await server.post(body, headers: ["Content-Type": "application/json", "X-Chatwoot-Delivery": "delivery-\(i)"])
                #expect(reply.status == 200, "\(webhookFixtures[i]): \(reply.body)")
                #expect(reply.body.contains("\"stored\""))
            }
        }
        let events = try readLedger(temp.ledgerDirectory)
        #expect(events.map(\.type) == Array(repeating: EventType.webhookReceived, count: bodies.count))
        #expect(events.map(\.body) == bodies)
        #expect(events[0].stream == "1/128")
        #expect(events[4].stream == "1/-", "webwidget_triggered for a first-time visitor has no conversation")
        #expect(events[6].stream == "1/128", "conversation payloads take the account from their last message")
        let meta = String(decoding: events[0].meta, as: UTF8.self)
        #expect(meta.contains("\"delivery\":\"delivery-0\"") && meta.contains("\"event\":\"message_created\""))
    }

    @Test func aRedeliveryIsAcknowledgedRecordedCheaplyAndNeverStoredTwice() async throws {
        let temp = TemporaryDirectory()
        let body = try chatwootFixture("webhook-message_created-incoming.json")
        try await ServerHarness.with(directory: temp.ledgerDirectory) { server in
            let first = try await server.post(body, headers: ["X-Chatwoot-Delivery": "same"])
            let retry = try await server.post(body, headers: ["X-Chatwoot-Delivery": "same"])
            #expect(first.status == 200 && retry.status == 200)
            #expect(retry.body.contains("duplicate"))
            // Older Chatwoot: no delivery header; the content key catches the retry …
            let updated = try chatwootFixture("webhook-message_updated-form-submitted.json")
            #expect(try await server.post(updated).body.contains("stored"))
            #expect(try await server.post(updated).body.contains("duplicate"))
            // … but a different submission of the same message is new.
            var changed = String(decoding: updated, as: UTF8.self)
            changed = changed.replacingOccurrences(of: "\"submitted_values\"", with: "\"submitted_values_x\": 1, \"submitted_values\"")
            #expect(try await server.post(Array(changed.utf8)).body.contains("stored"))
            // … and so is an edit of the message (a message payload has no top-level `updated_at`).
            let created = try #require(try JSONSerialization.jsonObject(with: Data(body)) as? [String: Any])
            var edited = created
            edited["content"] = "\(created["content"] as? String ?? "") (edited)"
            edited["event"] = "message_updated"
            let editedBody = [UInt8](try JSONSerialization.data(withJSONObject: edited))
            #expect(try await server.post(editedBody).body.contains("stored"))
            edited["content"] = "edited again"
            #expect(try await server.post([UInt8](try JSONSerialization.data(withJSONObject: edited))).body.contains("stored"))
            #expect(try await server.post(editedBody).body.contains("duplicate"))
        }
        let events = try readLedger(temp.ledgerDirectory)
        #expect(events.map(\.type) == [EventType.webhookReceived, EventType.webhookDuplicate, EventType.webhookReceived,
                                       EventType.webhookDuplicate, EventType.webhookReceived,
                                       EventType.webhookReceived, EventType.webhookReceived, EventType.webhookDuplicate])
        #expect(events[1].causation == 1 && events[1].body.isEmpty)
        #expect(events[3].causation == 3)
    }

    @Test func concurrentCopiesOfOneDeliveryAreStoredExactlyOnce() async throws {
        let temp = TemporaryDirectory()
        let body = try chatwootFixture("webhook-message_created-incoming.json")
        try await ServerHarness.with(directory: temp.ledgerDirectory) { server in
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<16 { group.addTask { try await server.post(body, headers: ["X-Chatwoot-Delivery": "racing"]).status } }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            #expect(statuses == Array(repeating: 200, count: 16))
        }
        let events = try readLedger(temp.ledgerDirectory)
        #expect(events.filter { $0.type == EventType.webhookReceived }.count == 1)
        #expect(events.filter { $0.type == EventType.webhookDuplicate }.count == 15)
    }

    @Test func deliveriesAreRememberedAcrossARestart() async throws {
        let temp = TemporaryDirectory()
        let body = try chatwootFixture("webhook-message_created-outgoing.json")
        let first = try await ServerHarness.with(directory: temp.ledgerDirectory) { server in
            try await server.post(body, headers: ["X-Chatwoot-Delivery": "before-restart"]).body
        }
        let afterRestart = try await ServerHarness.with(directory: temp.ledgerDirectory) { server in
            try await server.post(body, headers: ["X-Chatwoot-Delivery": "before-restart"]).body
        }
        #expect(first.contains("stored"))
        #expect(afterRestart.contains("duplicate"))
        #expect(try readLedger(temp.ledgerDirectory).map(\.type) == [EventType.webhookReceived, EventType.webhookDuplicate])
    }

    /// An incoming message, the bot's secret, a server that requires it, and the time the tests start at.
    private static func signedSetup() throws -> (body: [UInt8], signer: WebhookSignature, configuration: ServerConfiguration, start: Date) {
        let signer = WebhookSignature(secret: "s3cr3t-bot-secret")
        var configuration = ServerConfiguration()
        configuration.webhookSignature = signer
        return (try chatwootFixture("webhook-message_created-incoming.json"), signer, configuration, Date(timeIntervalSince1970: 1_778_663_742))
    }

    @Test func signaturesAreRequiredWhenASecretIsSet() async throws {
        let temp = TemporaryDirectory()
        let (body, signer, configuration, start) = try Self.signedSetup()
        let clock = Mutex(start)
        let ts = Int64(start.timeIntervalSince1970)
        try await ServerHarness.with(directory: temp.ledgerDirectory, configuration: configuration, now: { clock.withLock { $0 } }) { server in
            let good = try await server.post(body, headers: ["X-Chatwoot-Timestamp": "\(ts)", "X-Chatwoot-Signature": signer.sign(body: body, timestamp: ts)])
            #expect(good.status == 200)
            #expect(try await server.post(body).status == 401, "missing signature")
            let wrong = WebhookSignature(secret: "other").sign(body: body, timestamp: ts)
            #expect(try await server.post(body, headers: ["X-Chatwoot-Timestamp": "\(ts)", "X-Chatwoot-Signature": wrong]).status == 401)
            let tampered = body + [0x20]
            #expect(try await server.post(tampered, headers: ["X-Chatwoot-Timestamp": "\(ts)", "X-Chatwoot-Signature": signer.sign(body: body, timestamp: ts)]).status == 401)
            let old = ts - 3600
            #expect(try await server.post(body, headers: ["X-Chatwoot-Timestamp": "\(old)", "X-Chatwoot-Signature": signer.sign(body: body, timestamp: old)]).status == 401)
            #expect(try await server.post(body, headers: ["X-Chatwoot-Timestamp": "soon", "X-Chatwoot-Signature": "sha256=zz"]).status == 401)
            // A flood of unsigned requests: every one is refused, one a minute per reason is recorded.
            for n in 0..<200 {
                #expect(try await server.post(body, headers: ["X-Chatwoot-Delivery": "flood-\(n)-" + String(repeating: "x", count: 150)]).status == 401)
            }
            clock.withLock { $0 += 61 }
            #expect(try await server.post(body, headers: ["X-Chatwoot-Delivery": "after-a-minute"]).status == 401)
        }
        let events = try readLedger(temp.ledgerDirectory)
        #expect(events.filter { $0.type == EventType.webhookReceived }.count == 1)
        let rejected = events.filter { $0.type == EventType.webhookRejected }
        let reasons = rejected.map { String(decoding: $0.meta, as: UTF8.self) }
        // missing, mismatch (the second one, tampered, left out), expired, malformed; then the next minute's missing.
        #expect(rejected.count == 5, "\(reasons)")
        #expect(reasons.last?.contains("\"left_out_before\":200") == true, "\(reasons)")
        #expect(!reasons.joined().contains("flood-") && !reasons.joined().contains("after-a-minute"), "the sender's delivery ids are not kept")
        #expect(rejected.allSatisfy { $0.body.isEmpty }, "unauthenticated bytes are not kept")
        let everything = events.map { String(decoding: $0.body + $0.meta, as: UTF8.self) }.joined()
        #expect(!everything.contains("s3cr3t-bot-secret"), "the secret never reaches the ledger")
    }

    @Test func aCapturedSignedRequestSentAgainUnderAnotherDeliveryIdIsADuplicate() async throws {
        let temp = TemporaryDirectory()
        let (body, signer, configuration, start) = try Self.signedSetup()
        let clock = Mutex(start)
        let ts = Int64(start.timeIntervalSince1970)
        let signed = ["X-Chatwoot-Timestamp": "\(ts)", "X-Chatwoot-Signature": signer.sign(body: body, timestamp: ts)]
        let original = signed.merging(["X-Chatwoot-Delivery": "original"]) { $1 }
        let forged = signed.merging(["X-Chatwoot-Delivery": "forged"]) { $1 }
        let forgedAfterRestart = signed.merging(["X-Chatwoot-Delivery": "forged-after-restart"]) { $1 }
        let variant = ["X-Chatwoot-Timestamp": " \(ts)", "X-Chatwoot-Signature": "  SHA256=" + signer.sign(body: body, timestamp: ts).dropFirst(7).uppercased() + " ",
                       "X-Chatwoot-Delivery": "forged-variant"]
        let retry = ["X-Chatwoot-Timestamp": "\(ts + 3)", "X-Chatwoot-Signature": signer.sign(body: body, timestamp: ts + 3),
                     "X-Chatwoot-Delivery": "original"]
        let retryForgedAfterRestart = retry.merging(["X-Chatwoot-Delivery": "retry-forged-after-restart"]) { $1 }
        try await ServerHarness.with(directory: temp.ledgerDirectory, configuration: configuration, now: { clock.withLock { $0 } }) { server async throws in
            #expect(try await server.post(body, headers: original).body.contains("stored"))
            // The delivery id is not signed: an attacker can change it or leave it out.
            #expect(try await server.post(body, headers: forged).body.contains("duplicate"))
            #expect(try await server.post(body, headers: signed).body.contains("duplicate"))
            // … or write the same signature in another case, with spaces around it.
            #expect(try await server.post(body, headers: variant).body.contains("duplicate"))
            // Chatwoot's own retry is signed anew and keeps the delivery id: a duplicate too.
            clock.withLock { $0 += 3 }
            #expect(try await server.post(body, headers: retry).body.contains("duplicate"))
            // The retry's signature under another delivery id: a copy of the retry.
            let other = ["X-Chatwoot-Timestamp": "\(ts + 3)", "X-Chatwoot-Signature": signer.sign(body: body, timestamp: ts + 3),
                         "X-Chatwoot-Delivery": "another"]
            #expect(try await server.post(body, headers: other).body.contains("duplicate"))
            clock.withLock { $0 += 1 }
            let fresh = ["X-Chatwoot-Timestamp": "\(ts + 4)", "X-Chatwoot-Signature": signer.sign(body: body, timestamp: ts + 4),
                         "X-Chatwoot-Delivery": "another"]
            #expect(try await server.post(body, headers: fresh).body.contains("stored"))
        }
        // After a restart the captured request is still recognised.
        try await ServerHarness.with(directory: temp.ledgerDirectory, configuration: configuration, now: { clock.withLock { $0 } }) { server async throws in
            #expect(try await server.post(body, headers: forgedAfterRestart).body.contains("duplicate"))
            // … and so is a captured retry, whose signature only a duplicate event holds.
            #expect(try await server.post(body, headers: retryForgedAfterRestart).body.contains("duplicate"))
        }
        let events = try readLedger(temp.ledgerDirectory)
        #expect(events.map(\.type) == [EventType.webhookReceived, EventType.webhookDuplicate, EventType.webhookDuplicate, EventType.webhookDuplicate,
                                       EventType.webhookDuplicate, EventType.webhookDuplicate, EventType.webhookReceived,
                                       EventType.webhookDuplicate, EventType.webhookDuplicate])
        let everything = events.map { String(decoding: $0.meta, as: UTF8.self) }.joined()
        #expect(!everything.contains(signer.sign(body: body, timestamp: ts).dropFirst(7)), "the ledger keeps a digest, not the signature")
    }

    @Test func healthAndMetricsReportTheIngest() async throws {
        let temp = TemporaryDirectory()
        let body = try chatwootFixture("webhook-message_created-incoming.json")
        try await ServerHarness.with(directory: temp.ledgerDirectory) { server in
            _ = try await server.post(body, headers: ["X-Chatwoot-Delivery": "m1"])
            _ = try await server.post(body, headers: ["X-Chatwoot-Delivery": "m1"])
            _ = try await server.post(Array("nope".utf8))
            let health = try await server.get("/healthz")
            #expect(health.status == 200)
            #expect(health.body.contains("\"writable\":true") && health.body.contains("\"head_seq\":3"))
            let metrics = try await server.get("/metrics").body
            #expect(metrics.contains(#"ledgerbot_webhooks_total{event="message_created",outcome="stored"} 1"#))
            #expect(metrics.contains(#"ledgerbot_webhooks_total{event="message_created",outcome="duplicate"} 1"#))
            #expect(metrics.contains(#"ledgerbot_webhook_rejections_total{reason="not_a_json_object"} 1"#))
            #expect(metrics.contains("ledgerbot_ledger_append_seconds_count 3"))
        }
    }

    @Test func aLedgerThatCannotWriteAnswers500SoChatwootRetries() async throws {
        let temp = TemporaryDirectory()
        let body = try chatwootFixture("webhook-message_created-incoming.json")
        try await ServerHarness.with(directory: temp.ledgerDirectory) { server in
            await server.ledger.close() // every append now fails
            let reply = try await server.post(body, headers: ["X-Chatwoot-Delivery": "x"])
            #expect(reply.status == 500)
            #expect(try await server.get("/healthz").status == 503)
        }
    }
}
