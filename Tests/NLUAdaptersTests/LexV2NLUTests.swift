import AsyncHTTPClient
import Foundation
import NLUAdapters
import Testing

struct LexV2NLUTests {
    static let accessKeyId = "AKIAIOSFODNN7EXAMPLE"
    static let secretKey = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY"
    static let sessionToken = "IQoJb3JpZ2luX2VjEXAMPLE//////////wEaCXVzLWVhc3QtMSJHMEUCIQD+session/token=="
    static let credentials = AWSCredentials(
        accessKeyId: accessKeyId,
        secretAccessKey: Secret(secretKey),
        sessionToken: Secret(sessionToken)
    )
    /// 2024-05-01T10:15:00Z
    static let now = Date(timeIntervalSince1970: 1_714_558_500)
    static let text = "Cancel order 12345"

    static func configuration(_ url: URL, timeout: Duration = TestTiming.timeout) -> LexV2NLU.Configuration {
        LexV2NLU.Configuration(
            botId: "BOTID12345",
            botAliasId: "TSTALIASID",
            localeId: "en_US",
            region: "eu-west-1",
            credentials: credentials,
            endpoint: url,
            timeout: timeout
        )
    }

    static let cases: [AdapterCase] = [
        AdapterCase(
            "success", CannedResponse(body: Lex.success),
            .result(
                NLUResult(
                    intent: "CancelOrder",
                    confidence: 0.95,
                    ranking: [
                        NLURankedIntent(intent: "CancelOrder", confidence: 0.95),
                        NLURankedIntent(intent: "CheckOrderStatus", confidence: 0.31),
                        NLURankedIntent(intent: "FallbackIntent", confidence: nil),
                    ],
                    entities: [NLUEntity(entity: "OrderId", value: "12345")],
                    reply: "Okay, order 12345 will be cancelled. Anything else?",
                    action: "Close",
                    complete: true,
                    engine: "lex-v2"
                )
            )
        ),
        AdapterCase(
            "low confidence, eliciting a slot", CannedResponse(body: Lex.lowConfidence),
            .result(
                NLUResult(
                    intent: "BookHotel",
                    confidence: 0.52,
                    ranking: [
                        NLURankedIntent(intent: "BookHotel", confidence: 0.52),
                        NLURankedIntent(intent: "FallbackIntent", confidence: nil),
                    ],
                    entities: [
                        NLUEntity(entity: "Amenities", value: "pool"),
                        NLUEntity(entity: "Amenities", value: "gym"),
                        NLUEntity(entity: "Location", value: "Chicago"),
                    ],
                    reply: "What day do you want to check in?",
                    action: "ElicitSlot",
                    complete: false,
                    engine: "lex-v2"
                )
            )
        ),
        AdapterCase(
            "no match (FallbackIntent)", CannedResponse(body: Lex.noMatch),
            .result(
                NLUResult(
                    intent: nil,
                    confidence: nil,
                    ranking: [
                        NLURankedIntent(intent: "FallbackIntent", confidence: nil),
                        NLURankedIntent(intent: "CancelOrder", confidence: 0.22),
                    ],
                    entities: [],
                    reply: "Sorry, I didn't understand. Could you rephrase?",
                    action: "Close",
                    complete: true,
                    engine: "lex-v2"
                )
            )
        ),
        AdapterCase(
            "401", CannedResponse(401, body: Lex.unrecognizedClient, headers: Lex.errorHeaders("UnrecognizedClientException")),
            .failure(.unauthorized, status: 401, retryable: false, mentions: ["UnrecognizedClientException"])
        ),
        AdapterCase(
            "403", CannedResponse(403, body: #"{"message":"The request signature we calculated does not match the signature you provided."}"#, headers: Lex.errorHeaders("InvalidSignatureException")),
            .failure(
                .unauthorized, status: 403, retryable: false,
                mentions: ["Amazon Lex V2 answered HTTP 403: InvalidSignatureException The request signature"]
            )
        ),
        AdapterCase(
            "429", CannedResponse(429, body: Lex.throttling, headers: Lex.errorHeaders("ThrottlingException")),
            .failure(.rateLimited, status: 429, retryable: true, mentions: ["ThrottlingException Rate exceeded"])
        ),
        AdapterCase(
            "500", CannedResponse(500, body: Lex.internalServer, headers: Lex.errorHeaders("InternalServerException")),
            .failure(.server, status: 500, retryable: true, mentions: ["InternalServerException"])
        ),
        AdapterCase(
            "404", CannedResponse(404, body: Lex.resourceNotFound, headers: Lex.errorHeaders("ResourceNotFoundException")),
            .failure(.rejected, status: 404, retryable: false, mentions: ["ResourceNotFoundException", "Could not find bot alias"])
        ),
        AdapterCase(
            "200 JSON without interpretations or sessionState", CannedResponse(body: #"{"sessionId":"ledgerbot-1-42"}"#),
            .failure(.badResponse, status: 200, retryable: false, mentions: ["without interpretations or sessionState"])
        ),
        AdapterCase(
            "slow", CannedResponse(body: Lex.success, delay: TestTiming.slow),
            .failure(.timeout, status: nil, retryable: true, mentions: ["Amazon Lex V2 did not answer within"])
        ),
    ]

    @Test("Amazon Lex V2", arguments: cases)
    func scenario(_ scenario: AdapterCase) async throws {
        try await FakeNLUServer.with(scenario.response) { url, client, log in
            let lex = LexV2NLU(httpClient: client, configuration: Self.configuration(url, timeout: TestTiming.timeout(for: scenario.response)), now: { Self.now })
            let (outcome, _) = await measure {
                await lex.understand(Self.text, session: "ledgerbot-1-42", messageId: "m-1")
            }
            check(outcome, scenario.expected)

            guard let request = try await log.received(in: scenario) else { return }
            #expect(request.method == "POST")
            #expect(request.path == "/bot/BOTID12345/botAlias/TSTALIASID/botLocale/en_US/session/ledgerbot-1-42/text")
            #expect(request.query == nil)
            #expect(request.host == "127.0.0.1:\(url.port!)")
            #expect(request.headerValues("Content-Type") == ["application/json"])
            #expect(request.bodyText == #"{"text":"Cancel order 12345"}"#)
            try Self.checkSignature(request)
        }
    }

    /// The SigV4 headers have the right form, and the signature matches the request exactly as
    /// it arrived (host with port, path, body), recomputed independently of the adapter.
    static func checkSignature(_ request: RecordedRequest) throws {
        #expect(request.headerValues("X-Amz-Date") == ["20240501T101500Z"])
        #expect(request.headerValues("X-Amz-Security-Token") == [sessionToken])
        let authorization = try #require(request.header("Authorization"))
        let prefix =
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20240501/eu-west-1/lex/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-security-token, Signature="
        #expect(authorization.hasPrefix(prefix))
        let signature = authorization.dropFirst(prefix.count)
        #expect(signature.count == 64 && signature.allSatisfy { $0.isHexDigit && !$0.isUppercase })

        let expected = SigV4Signer(credentials: credentials, region: "eu-west-1", service: "lex").sign(
            SigV4Signer.Request(
                method: request.method,
                path: request.path,
                headers: [
                    (name: "content-type", value: try #require(request.header("Content-Type"))),
                    (name: "host", value: try #require(request.host)),
                    (name: "x-amz-security-token", value: try #require(request.header("X-Amz-Security-Token"))),
                ],
                body: Array(request.body)
            ),
            date: now
        )
        #expect(authorization == expected.authorization)
        #expect(
            expected.canonicalRequest
                == """
                POST
                \(SigV4Signer.canonicalURI(request.path))

                content-type:application/json
                host:\(request.host ?? "")
                x-amz-date:20240501T101500Z
                x-amz-security-token:\(sessionToken)

                content-type;host;x-amz-date;x-amz-security-token
                \(SigV4Signer.hexSHA256(Array(request.body)))
                """
        )
    }

    @Test func sessionIdsAreEncodedOnTheWireAndSignedEncodedTwice() async throws {
        try await FakeNLUServer.with(CannedResponse(body: Lex.success)) { url, client, log in
            let lex = LexV2NLU(httpClient: client, configuration: Self.configuration(url), now: { Self.now })
            #expect(await lex.understand(Self.text, session: "chatwoot:1.42", messageId: nil).result != nil)
            let request = try #require(await log.onlyOnceReceived())
            #expect(request.path == "/bot/BOTID12345/botAlias/TSTALIASID/botLocale/en_US/session/chatwoot%3A1.42/text")
            #expect(
                SigV4Signer.canonicalURI(request.path)
                    == "/bot/BOTID12345/botAlias/TSTALIASID/botLocale/en_US/session/chatwoot%253A1.42/text"
            )
            try Self.checkSignature(request)
        }
    }

    @Test func withoutSessionTokenNoTokenHeaderIsSentOrSigned() async throws {
        try await FakeNLUServer.with(CannedResponse(body: Lex.success)) { url, client, log in
            var configuration = Self.configuration(url)
            configuration.credentials = .value(AWSCredentials(accessKeyId: Self.accessKeyId, secretAccessKey: Secret(Self.secretKey)))
            let lex = LexV2NLU(httpClient: client, configuration: configuration, now: { Self.now })
            #expect(await lex.understand(Self.text, session: "ledgerbot-1-42", messageId: nil).result != nil)
            let request = try #require(await log.onlyOnceReceived())
            #expect(request.header("X-Amz-Security-Token") == nil)
            #expect(request.header("Authorization")?.contains("SignedHeaders=content-type;host;x-amz-date, ") == true)
        }
    }

    /// Temporary credentials rotate: with a shared credentials file, each call signs with what
    /// the file holds now, keeps the last credentials while a refresher rewrites it, and fails
    /// as unauthorized, naming the file and not its content, once the file stays unusable.
    @Test func credentialsFromAFileFollowItsRotation() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("lex-credentials-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("credentials").path
        @Sendable func write(_ key: String, token: String?) throws {
            let lines = ["[other]", "aws_access_key_id = AKIAOTHER", "aws_secret_access_key = other", "[bot]",
                         "aws_access_key_id = \(key)", "aws_secret_access_key = secret-of-\(key)"] + (token.map { ["aws_session_token = \($0)"] } ?? [])
            try (lines.joined(separator: "\n") + "\n").write(toFile: file, atomically: true, encoding: .utf8)
        }
        try await FakeNLUServer.with(CannedResponse(body: Lex.success)) { url, client, log in
            var configuration = Self.configuration(url)
            configuration.credentials = .file(file, profile: "bot", staleFor: .seconds(60))
            let lex = LexV2NLU(httpClient: client, configuration: configuration, now: { Self.now })
            try write("AKIAFIRST", token: "token-one")
            #expect(await lex.understand(Self.text, session: "s", messageId: nil).result != nil)
            try write("AKIASECOND", token: "token-two")
            #expect(await lex.understand(Self.text, session: "s", messageId: nil).result != nil)
            // A refresher emptying it first, then writing it in place, its token line not yet there.
            try "".write(toFile: file, atomically: true, encoding: .utf8)
            #expect(await lex.understand(Self.text, session: "s", messageId: nil).result != nil)
            try "[bot]\naws_access_key_id = ASIATHIRD\naws_secret_access_key = s\n".write(toFile: file, atomically: true, encoding: .utf8)
            #expect(await lex.understand(Self.text, session: "s", messageId: nil).result != nil)
            let requests = await log.requests
            #expect(requests.count == 4)
            let credentials = requests.map { $0.header("Authorization")?.split(separator: "=").dropFirst().first?.split(separator: "/").first.map(String.init) }
            #expect(credentials == ["AKIAFIRST", "AKIASECOND", "AKIASECOND", "AKIASECOND"])
            #expect(requests.map { $0.header("X-Amz-Security-Token") } == ["token-one", "token-two", "token-two", "token-two"])
            // Each signature is the one of the credentials named.
            let second = AWSCredentials(accessKeyId: "AKIASECOND", secretAccessKey: Secret("secret-of-AKIASECOND"), sessionToken: Secret("token-two"))
            let request = requests[1]
            let expected = SigV4Signer(credentials: second, region: "eu-west-1", service: "lex").sign(
                SigV4Signer.Request(method: request.method, path: request.path, headers: [
                    (name: "content-type", value: request.header("Content-Type") ?? ""), (name: "host", value: request.host ?? ""),
                    (name: "x-amz-security-token", value: "token-two"),
                ], body: Array(request.body)), date: Self.now)
            #expect(request.header("Authorization") == expected.authorization)

            var stale = Self.configuration(url)
            stale.credentials = .file(file, profile: "bot", staleFor: .zero)
            let failed = await LexV2NLU(httpClient: client, configuration: stale, now: { Self.now }).understand(Self.text, session: "s", messageId: nil)
            guard case .failed(let failure) = failed else {
                Issue.record("expected a failure, got \(failed)")
                return
            }
            #expect(failure.kind == .unauthorized && !failure.retryable)
            #expect(failure.message.contains(file) && failure.message.contains("profile bot"), "\(failure.message)")
            #expect(await log.requests.count == 4)
        }
    }

    @Test func defaultEndpoint() {
        let configuration = LexV2NLU.Configuration(
            botId: "B", botAliasId: "A", localeId: "en_US", region: "eu-west-1", credentials: Self.credentials
        )
        #expect(configuration.endpoint.absoluteString == "https://runtime-v2-lex.eu-west-1.amazonaws.com")
        #expect(configuration.timeout == .seconds(3))
    }
}
