import AsyncHTTPClient
import Foundation
import Logging
import NLUAdapters
import Testing

struct CredentialsTests {
    @Test func fromEnvironmentTrimsAndNamesTheVariableOnError() throws {
        let environment = ["RASA_TOKEN": "  s3cr3t-value\n", "EMPTY": " "]
        #expect(try Credentials.fromEnvironment("RASA_TOKEN", environment: environment) == Secret("s3cr3t-value"))
        #expect(throws: CredentialsError("The environment variable MISSING is not set")) {
            try Credentials.fromEnvironment("MISSING", environment: environment)
        }
        #expect(throws: CredentialsError("The environment variable EMPTY is empty")) {
            try Credentials.fromEnvironment("EMPTY", environment: environment)
        }
    }

    /// A token file being rewritten in place (emptied first) or replaced (briefly missing) keeps
    /// the last token read; with none read yet, the failure is the file's.
    @Test func aTokenFileBeingRewrittenKeepsTheLastToken() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("nlu-token-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let source = BearerTokenSource.file(path)
        await #expect(throws: CredentialsError.self) { try await source.current() }
        try "first-token\n".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(try await source.current() == Secret("first-token"))
        try "".write(toFile: path, atomically: false, encoding: .utf8)
        #expect(try await source.current() == Secret("first-token"))
        try FileManager.default.removeItem(atPath: path)
        #expect(try await source.current() == Secret("first-token"))
        try "second-token".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(try await source.current() == Secret("second-token"))
        // Not for ever: a file gone for longer than `staleFor` fails as itself.
        let brief = BearerTokenSource.file(path, staleFor: .milliseconds(50))
        #expect(try await brief.current() == Secret("second-token"))
        try FileManager.default.removeItem(atPath: path)
        try await Task.sleep(for: .milliseconds(100))
        await #expect(throws: CredentialsError.self) { try await brief.current() }
    }

    @Test func fromFileTrimsTheTrailingNewline() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("nlu-token-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try "file-secret-value\n".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(try Credentials.fromFile(path) == Secret("file-secret-value"))
        #expect(throws: CredentialsError("The credential file /nonexistent/token cannot be read")) {
            try Credentials.fromFile("/nonexistent/token")
        }
    }

    @Test func awsFromEnvironment() throws {
        let full = try Credentials.awsFromEnvironment(environment: [
            "AWS_ACCESS_KEY_ID": "AKIAEXAMPLEKEY",
            "AWS_SECRET_ACCESS_KEY": "secret/key",
            "AWS_SESSION_TOKEN": "session-token",
        ])
        #expect(full == AWSCredentials(accessKeyId: "AKIAEXAMPLEKEY", secretAccessKey: "secret/key", sessionToken: "session-token"))
        let permanent = try Credentials.awsFromEnvironment(environment: [
            "AWS_ACCESS_KEY_ID": "AKIAEXAMPLEKEY", "AWS_SECRET_ACCESS_KEY": "secret/key",
        ])
        #expect(permanent.sessionToken == nil)
        #expect(throws: CredentialsError("The environment variable AWS_SECRET_ACCESS_KEY is not set")) {
            try Credentials.awsFromEnvironment(environment: ["AWS_ACCESS_KEY_ID": "AKIAEXAMPLEKEY"])
        }
    }

    @Test func awsFromSharedCredentialsFile() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("aws-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try """
        # comment
        [default]
        aws_access_key_id = AKIADEFAULT
        aws_secret_access_key = default/secret

        [lex-bot]
        aws_access_key_id=AKIALEXBOT
        aws_secret_access_key=lex/secret+key
        aws_session_token = lex-session-token
        """.write(toFile: path, atomically: true, encoding: .utf8)
        #expect(try Credentials.awsFromFile(path) == AWSCredentials(accessKeyId: "AKIADEFAULT", secretAccessKey: "default/secret"))
        #expect(
            try Credentials.awsFromFile(path, profile: "lex-bot")
                == AWSCredentials(accessKeyId: "AKIALEXBOT", secretAccessKey: "lex/secret+key", sessionToken: "lex-session-token")
        )
        #expect(throws: CredentialsError.self) { try Credentials.awsFromFile(path, profile: "absent") }
    }

    @Test func sessionIdsAreStablePerConversation() {
        #expect(NLUSession.sessionId(account: 1, conversation: 42) == "ledgerbot-1-42")
        #expect(RasaNLU.sessionId(account: 3, conversation: 7) == "ledgerbot-3-7")
        let long = NLUSession.sessionId(account: 9_000_000_000_000, conversation: 123_456_789_012)
        #expect(long.count == NLUSession.maximumLength)
        #expect(long.hasPrefix("ledgerbot-"))
        #expect(long == NLUSession.sessionId(account: 9_000_000_000_000, conversation: 123_456_789_012))
        #expect(long != NLUSession.sessionId(account: 9_000_000_000_000, conversation: 123_456_789_013))
        #expect(long.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" })
    }

    @Test func resultsAndFailuresAreCodable() throws {
        let result = NLUResult(
            intent: "order.cancel", confidence: 0.9,
            ranking: [NLURankedIntent(intent: "order.cancel", confidence: 0.9)],
            entities: [NLUEntity(entity: "order_id", value: "12345", start: 1, end: 6, extractor: "DIET")],
            reply: "ok", action: "cancel", complete: true, engine: "rasa"
        )
        let failure = NLUFailure(kind: .rateLimited, status: 429, message: "slow down", retryAfterSeconds: 3)
        #expect(try JSONDecoder().decode(NLUResult.self, from: JSONEncoder().encode(result)) == result)
        #expect(try JSONDecoder().decode(NLUFailure.self, from: JSONEncoder().encode(failure)) == failure)
        #expect(failure.retryable)
        #expect(NLUFailure(kind: .unauthorized, message: "x").retryable == false)
    }

    @Test func failureMessagesAreBoundedAndOnOneLine() {
        let failure = NLUFailure(kind: .server, status: 500, message: String(repeating: "line\n", count: 500))
        #expect(failure.message.count == NLUFailure.maximumMessageLength)
        #expect(!failure.message.contains("\n"))
        #expect(failure.message.hasSuffix("…"))
    }
}

/// No credential may appear in a failure message, a `description`, or a `dump`, even when the
/// service echoes what it received.
struct RedactionTests {
    static let rasaToken = "rasa-token-SENTINEL-1111"
    static let googleToken = "ya29.google-token-SENTINEL-2222"
    static let accessKeyId = "AKIASENTINEL3333"
    static let secretKey = "aws-secret-SENTINEL/4444+key"
    static let sessionToken = "aws-session-SENTINEL/5555=="
    static let secrets = [rasaToken, googleToken, accessKeyId, secretKey, sessionToken]
    /// Every secret contains it; nothing else does.
    static let fragments = ["SENTINEL"]

    static func assertClean(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) {
        for fragment in fragments {
            #expect(!text.contains(fragment), "\(text)", sourceLocation: sourceLocation)
        }
    }

    static func adapters(_ url: URL, _ client: HTTPClient, timeout: Duration = TestTiming.timeout) -> [any ExternalNLU] {
        [
            RasaNLU(httpClient: client, configuration: .init(url: url, token: Secret(rasaToken), timeout: timeout)),
            DialogflowESNLU(
                httpClient: client,
                configuration: .init(
                    projectId: "p", languageCode: "en", token: .value(Secret(googleToken)), baseURL: url,
                    timeout: timeout
                )
            ),
            DialogflowCXNLU(
                httpClient: client,
                configuration: .init(
                    projectId: "p", agentId: "a", languageCode: "en", token: .value(Secret(googleToken)), baseURL: url,
                    timeout: timeout
                )
            ),
            LexV2NLU(
                httpClient: client,
                configuration: .init(
                    botId: "B", botAliasId: "A", localeId: "en_US", region: "us-east-1",
                    credentials: AWSCredentials(
                        accessKeyId: accessKeyId, secretAccessKey: Secret(secretKey), sessionToken: Secret(sessionToken)
                    ),
                    endpoint: url, timeout: timeout
                )
            ),
        ]
    }

    /// The secrets the adapter behind `path` holds.
    static func secrets(forPath path: String) -> [String] {
        if path.hasPrefix("/model/parse") { return [rasaToken] }
        if path.hasPrefix("/bot/") { return [accessKeyId, secretKey, sessionToken] }
        return [googleToken]
    }

    /// The fake service echoes the query, the Authorization and token headers, and every secret
    /// the calling adapter holds, plain and percent-encoded, into its error body and headers.
    static func echo(status: Int) -> @Sendable (RecordedRequest) async -> CannedResponse {
        { request in
            let secrets = Self.secrets(forPath: request.path)
            let echoed = [
                "query=\(request.query ?? "")",
                "authorization=\(request.header("Authorization") ?? "")",
                "token=\(request.header("X-Amz-Security-Token") ?? "")",
                "secrets=\(secrets.joined(separator: ","))",
                "encoded=\(secrets.map { $0.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "" }.joined(separator: ","))",
            ].joined(separator: " ")
            let body = #"{"message":"\#(echoed)","error":{"message":"\#(echoed)","status":"ECHO"}}"#
            return CannedResponse(status, body: body, headers: [("x-amzn-ErrorType", "Echo:\(echoed)")])
        }
    }

    @Test(arguments: [401, 403, 429, 500, 400])
    func failureMessagesNeverContainCredentials(status: Int) async throws {
        try await FakeNLUServer.run(respond: Self.echo(status: status)) { url, log in
            try await withHTTPClient { client in
                for adapter in Self.adapters(url, client) {
                    let failure = try #require(await adapter.understand("hi", session: "s", messageId: nil).failure)
                    #expect(failure.status == status)
                    #expect(failure.message.contains("***"), "\(adapter.engine): \(failure.message)")
                    Self.assertClean(failure.message)
                    Self.assertClean(failure.description)
                    Self.assertClean(String(reflecting: failure))
                }
            }
            // The secrets did go over the wire, so the echo really contained them.
            let requests = await log.requests
            #expect(requests.count == 4)
            #expect(requests[0].query?.contains("SENTINEL") == true)
            #expect(requests[1].header("Authorization")?.contains("SENTINEL") == true)
        }
    }

    /// A body that is not JSON (a proxy's page echoing the request): its excerpt is scrubbed
    /// before it is cut, so a secret across the cut leaves nothing of itself — a 2xx one too.
    @Test(arguments: [(200, 80), (500, 160)])
    func plainBodiesEchoingCredentialsAcrossTheCutAreScrubbed(status: Int, cut: Int) async throws {
        let respond: @Sendable (RecordedRequest) async -> CannedResponse = { request in
            let secret = Self.secrets(forPath: request.path)[0]
            let padding = String(repeating: "x", count: cut - 6 - 8) // the secret's first 8 characters before the cut
            return CannedResponse(status, body: "<html>" + padding + secret + " and more</html>", headers: [])
        }
        try await FakeNLUServer.run(respond: respond) { url, _ in
            try await withHTTPClient { client in
                for adapter in Self.adapters(url, client) {
                    let failure = try #require(await adapter.understand("hi", session: "s", messageId: nil).failure)
                    let path = adapter.engine == "rasa" ? "/model/parse" : adapter.engine == "lex-v2" ? "/bot/" : "/"
                    let secret = Self.secrets(forPath: path)[0]
                    #expect(!failure.message.contains(String(secret.prefix(8))), "\(adapter.engine): \(failure.message)")
                }
            }
        }
    }

    @Test func theServicesThatKeepDialogStateSaySo() async throws {
        try await withHTTPClient { client in
            #expect(Self.adapters(URL(string: "http://127.0.0.1:1")!, client).map(\.keepsDialogState) == [false, true, true, true])
        }
    }

    @Test func timeoutAndTransportFailuresNeverContainCredentials() async throws {
        try await withHTTPClient { client in
            for adapter in Self.adapters(URL(string: "http://127.0.0.1:1")!, client, timeout: TestTiming.short) {
                let failure = try #require(await adapter.understand("hi", session: "s", messageId: nil).failure)
                Self.assertClean(failure.message)
            }
        }
        try await FakeNLUServer.with(CannedResponse(body: "{}", delay: TestTiming.slow)) { url, client, _ in
            for adapter in Self.adapters(url, client, timeout: TestTiming.short) {
                let failure = try #require(await adapter.understand("hi", session: "s", messageId: nil).failure)
                #expect(failure.kind == .timeout)
                Self.assertClean(failure.message)
            }
        }
    }

    @Test func descriptionsAndDumpsNeverContainCredentials() async throws {
        try await withHTTPClient { client in
            let url = URL(string: "https://user:password-SENTINEL@nlu.example.com/base?token=SENTINEL")!
            for adapter in Self.adapters(url, client) {
                Self.assertClean("\(adapter)")
                Self.assertClean(String(reflecting: adapter))
                var dumped = ""
                dump(adapter, to: &dumped)
                Self.assertClean(dumped)
                #expect(!"\(adapter)".contains("password"))
            }
        }
        let credentials = AWSCredentials(
            accessKeyId: Self.accessKeyId, secretAccessKey: Secret(Self.secretKey), sessionToken: Secret(Self.sessionToken)
        )
        let signer = SigV4Signer(credentials: credentials, region: "us-east-1", service: "lex")
        let values: [Any] = [
            Secret(Self.rasaToken), credentials, signer, BearerTokenSource.value(Secret(Self.googleToken)),
            RasaNLU.Configuration(url: URL(string: "http://rasa:5005")!, token: Secret(Self.rasaToken)),
        ]
        for value in values {
            Self.assertClean("\(value)")
            Self.assertClean(String(reflecting: value))
            var dumped = ""
            dump(value, to: &dumped)
            Self.assertClean(dumped)
        }
        #expect("\(Secret(Self.rasaToken))" == "***")
    }
}

/// Log lines of every adapter, at trace level, never carry a credential.
struct LoggingRedactionTests {
    final class Lines: @unchecked Sendable {
        private let lock = NSLock()
        private var lines: [String] = []
        func append(_ line: String) { lock.withLock { lines.append(line) } }
        var all: [String] { lock.withLock { lines } }
    }

    struct RecordingHandler: LogHandler {
        let lines: Lines
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) {
            let merged = self.metadata.merging(event.metadata ?? [:]) { $1 }
            let rendered = merged.keys.sorted().map { "\($0)=\(merged[$0]!)" }.joined(separator: " ")
            lines.append("\(event.level) \(event.message) \(rendered)")
        }
    }

    @Test(arguments: [200, 401])
    func logLinesNeverContainCredentials(status: Int) async throws {
        let lines = Lines()
        let logger = Logger(label: "test") { _ in RecordingHandler(lines: lines) }
        let echo = RedactionTests.echo(status: status)
        let respond: @Sendable (RecordedRequest) async -> CannedResponse = { request in
            status == 200 ? CannedResponse(body: Rasa.success) : await echo(request)
        }
        try await FakeNLUServer.run(respond: respond) { url, _ in
            try await withHTTPClient { client in
                let adapters: [any ExternalNLU] = [
                    RasaNLU(
                        httpClient: client,
                        configuration: .init(url: url, token: Secret(RedactionTests.rasaToken)),
                        logger: logger
                    ),
                    DialogflowESNLU(
                        httpClient: client,
                        configuration: .init(
                            projectId: "p", languageCode: "en", token: .value(Secret(RedactionTests.googleToken)), baseURL: url
                        ),
                        logger: logger
                    ),
                    LexV2NLU(
                        httpClient: client,
                        configuration: .init(
                            botId: "B", botAliasId: "A", localeId: "en_US", region: "us-east-1",
                            credentials: AWSCredentials(
                                accessKeyId: RedactionTests.accessKeyId,
                                secretAccessKey: Secret(RedactionTests.secretKey),
                                sessionToken: Secret(RedactionTests.sessionToken)
                            ),
                            endpoint: url
                        ),
                        logger: logger
                    ),
                ]
                for adapter in adapters {
                    _ = await adapter.understand("hi", session: "s", messageId: nil)
                }
            }
        }
        let all = lines.all
        #expect(all.count >= 3)
        #expect(all.contains { $0.contains("nlu.request=POST /model/parse") })
        for line in all {
            RedactionTests.assertClean(line)
        }
    }
}
