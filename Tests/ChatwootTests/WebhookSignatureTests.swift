import Chatwoot
import Foundation
import LedgerbotTesting
import Testing

/// Signature verification per docs/chatwoot-protocol.md §3.2.
struct WebhookSignatureTests {
    static let secret = "Xb9kT2mQ7rLp4vWz8nYc3dHf"
    static let timestamp: Int64 = 1_778_663_742
    /// Computed independently (Python `hmac`) over the raw bytes of the incoming fixture.
    static let fixtureSignature = "sha256=0a621fafeecf9862578b6504419c4a3ea4654066b3a84fe382bd6e9249923e4e"

    let signature = WebhookSignature(secret: secret)
    let now = Date(timeIntervalSince1970: TimeInterval(timestamp) + 2)

    private func verify(
        _ body: Data,
        signature header: String?,
        timestamp: String? = String(timestamp),
        now: Date? = nil,
        using verifier: WebhookSignature? = nil
    ) -> Result<Int64, WebhookSignatureError> {
        let verifier = verifier ?? signature
        return Result { () throws(WebhookSignatureError) -> Int64 in
            try verifier.verify(body: body, signatureHeader: header, timestampHeader: timestamp, now: now ?? self.now)
        }
    }

    private func code(_ result: Result<Int64, WebhookSignatureError>) -> WebhookSignatureError.Code? {
        if case .failure(let error) = result { return error.code }
        return nil
    }

    @Test func signMatchesAnIndependentImplementation() throws {
        let body = try Fixtures.data("webhook-message_created-incoming")
        #expect(signature.sign(body: body, timestamp: Self.timestamp) == Self.fixtureSignature)
        #expect(
            signature.sign(body: Data(#"{"event":"message_created"}"#.utf8), timestamp: Self.timestamp)
                == "sha256=c88f70c994d01935616092f53ff2b54a7d41a30b38b8c4a027d3ffc7f5a225a1"
        )
    }

    @Test func validSignatureVerifiesAndReturnsTimestamp() throws {
        let body = try Fixtures.data("webhook-message_created-incoming")
        #expect(try verify(body, signature: Self.fixtureSignature).get() == Self.timestamp)
        // Uppercase hex and surrounding spaces are tolerated.
        let uppercased = " sha256=" + Self.fixtureSignature.dropFirst(7).uppercased() + " "
        #expect(try verify(body, signature: uppercased).get() == Self.timestamp)
    }

    @Test func wrongSecretIsAMismatch() throws {
        let body = try Fixtures.data("webhook-message_created-incoming")
        let other = WebhookSignature(secret: "another-secret")
        #expect(code(verify(body, signature: Self.fixtureSignature, using: other)) == .mismatch)
    }

    @Test func tamperedBodyIsAMismatch() throws {
        var body = try Fixtures.data("webhook-message_created-incoming")
        body[body.startIndex + 20] ^= 0x01
        #expect(code(verify(body, signature: Self.fixtureSignature)) == .mismatch)
        #expect(code(verify(body.dropLast(), signature: Self.fixtureSignature)) == .mismatch)
        // Re-serialized JSON is a different byte string: verification must use the raw body.
        let reserialized = try JSONMutation.data(.object(try JSONMutation.object(Fixtures.data("webhook-message_created-incoming"))))
        #expect(code(verify(reserialized, signature: Self.fixtureSignature)) == .mismatch)
    }

    @Test func tamperedTimestampIsAMismatch() throws {
        let body = try Fixtures.data("webhook-message_created-incoming")
        #expect(code(verify(body, signature: Self.fixtureSignature, timestamp: String(Self.timestamp + 1))) == .mismatch)
    }

    @Test func missingHeadersAreReported() throws {
        let body = try Fixtures.data("webhook-message_created-incoming")
        #expect(code(verify(body, signature: nil)) == .missing)
        #expect(code(verify(body, signature: Self.fixtureSignature, timestamp: nil)) == .missing)
        #expect(code(verify(body, signature: nil, timestamp: nil)) == .missing)
    }

    @Test(arguments: [
        "", "sha256=", "sha256=xyz", "sha1=0a621fafeecf9862578b6504419c4a3ea4654066b3a84fe382bd6e9249923e4e",
        "0a621fafeecf9862578b6504419c4a3ea4654066b3a84fe382bd6e9249923e4e",
        "sha256=0a621fafeecf9862578b6504419c4a3ea4654066b3a84fe382bd6e9249923e4",
        "sha256=0a621fafeecf9862578b6504419c4a3ea4654066b3a84fe382bd6e9249923e4e00",
        "sha256=0a621fafeecf9862578b6504419c4a3ea4654066b3a84fe382bd6e9249923e4g",
        "sha256=0a621fafeecf9862578b6504419c4a3ea4654066b3a84fe382bd6e9249923é",
    ])
    func malformedSignatureHeaderIsReported(header: String) throws {
        let body = try Fixtures.data("webhook-message_created-incoming")
        #expect(code(verify(body, signature: header)) == .malformed)
    }

    @Test(arguments: ["", "abc", "12a", "-5", "+1778663742", "1778663742.5", "99999999999999999999", "١٢٣"])
    func malformedTimestampHeaderIsReported(header: String) throws {
        let body = try Fixtures.data("webhook-message_created-incoming")
        #expect(code(verify(body, signature: Self.fixtureSignature, timestamp: header)) == .malformed)
    }

    @Test func timestampsOutsideTheWindowAreExpiredInEitherDirection() throws {
        let body = try Fixtures.data("webhook-message_created-incoming")
        let sent = TimeInterval(Self.timestamp)
        #expect(throws: Never.self) { try verify(body, signature: Self.fixtureSignature, now: Date(timeIntervalSince1970: sent + 300)).get() }
        #expect(throws: Never.self) { try verify(body, signature: Self.fixtureSignature, now: Date(timeIntervalSince1970: sent - 300)).get() }

        let late = verify(body, signature: Self.fixtureSignature, now: Date(timeIntervalSince1970: sent + 301))
        #expect(code(late) == .expired)
        if case .failure(let error) = late {
            #expect(error.timestamp == Self.timestamp)
            #expect(error.message.contains("in the past"))
        }
        let early = verify(body, signature: Self.fixtureSignature, now: Date(timeIntervalSince1970: sent - 301))
        #expect(code(early) == .expired)
        if case .failure(let error) = early { #expect(error.message.contains("in the future")) }
    }

    @Test func toleranceIsConfigurable() throws {
        let body = try Fixtures.data("webhook-message_created-incoming")
        let strict = WebhookSignature(secret: Self.secret, configuration: .init(tolerance: 1))
        let now = Date(timeIntervalSince1970: TimeInterval(Self.timestamp) + 2)
        #expect(code(verify(body, signature: Self.fixtureSignature, now: now, using: strict)) == .expired)
    }

    @Test func forgedSignatureWithOldTimestampIsAMismatchNotExpired() throws {
        let body = try Fixtures.data("webhook-message_created-incoming")
        let forged = "sha256=" + String(repeating: "0", count: 64)
        #expect(code(verify(body, signature: forged, timestamp: "1000")) == .mismatch)
    }

    @Test func signatureDifferingOnlyInTheFirstOrLastByteIsRejected() throws {
        let body = try Fixtures.data("webhook-message_created-incoming")
        var first = Array(Self.fixtureSignature)
        first[7] = "1"
        var last = Array(Self.fixtureSignature)
        last[last.count - 1] = "f"
        #expect(code(verify(body, signature: String(first))) == .mismatch)
        #expect(code(verify(body, signature: String(last))) == .mismatch)
    }

    @Test func secretNeverAppearsInDescriptions() {
        var dumped = ""
        dump(signature, to: &dumped)
        #expect(!dumped.contains(Self.secret))
        #expect(!String(describing: signature).contains(Self.secret))
        #expect(!String(reflecting: signature).contains(Self.secret))
    }

    @Test func signerAndVerifierAgreeOnArbitraryBodies() {
        var generator = SeededGenerator(state: 7)
        for length in [0, 1, 63, 64, 65, 4096] {
            let body = Data((0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) })
            let header = signature.sign(body: body, timestamp: Self.timestamp)
            #expect(throws: Never.self) { try verify(body, signature: header).get() }
        }
    }
}
