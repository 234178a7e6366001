import AsyncHTTPClient
import Foundation
import NLUAdapters
import Testing

struct DialogflowESNLUTests {
    static let tokenValue = "ya29.a0AfB_test-access-token-0123456789"
    static let text = "Cancel order 12345 please"
    static let session = NLUSession.sessionId(account: 1, conversation: 42)

    static func configuration(_ url: URL, token: BearerTokenSource = .value(Secret(tokenValue)), timeout: Duration = TestTiming.timeout) -> DialogflowESNLU.Configuration {
        DialogflowESNLU.Configuration(
            projectId: "ledgerbot-demo",
            languageCode: "en",
            token: token,
            baseURL: url,
            timeout: timeout
        )
    }

    static let cases: [AdapterCase] = [
        AdapterCase(
            "success", CannedResponse(body: DialogflowES.success),
            .result(
                NLUResult(
                    intent: "order.cancel",
                    confidence: 0.92,
                    ranking: [NLURankedIntent(intent: "order.cancel", confidence: 0.92)],
                    entities: [
                        NLUEntity(entity: "amount", value: #"{"amount":20,"currency":"EUR"}"#),
                        NLUEntity(entity: "items", value: "book"),
                        NLUEntity(entity: "items", value: "lamp"),
                        NLUEntity(entity: "order-id", value: "12345"),
                        NLUEntity(entity: "quantity", value: "2"),
                    ],
                    reply: "Okay, I'm cancelling order 12345.",
                    action: "order.cancel",
                    complete: true,
                    engine: "dialogflow-es"
                )
            )
        ),
        AdapterCase(
            "low confidence, slot filling", CannedResponse(body: DialogflowES.lowConfidence),
            .result(
                NLUResult(
                    intent: "room.book",
                    confidence: 0.47,
                    ranking: [NLURankedIntent(intent: "room.book", confidence: 0.47)],
                    entities: [],
                    reply: "Which city would you like to stay in?",
                    action: "room.book",
                    complete: false,
                    engine: "dialogflow-es"
                )
            )
        ),
        AdapterCase(
            "no match (fallback intent)", CannedResponse(body: DialogflowES.noMatch),
            .result(
                NLUResult(
                    intent: nil,
                    confidence: 1,
                    ranking: [NLURankedIntent(intent: "Default Fallback Intent", confidence: 1)],
                    entities: [],
                    reply: "Sorry, could you say that again?",
                    action: "input.unknown",
                    complete: true,
                    engine: "dialogflow-es"
                )
            )
        ),
        AdapterCase(
            "401", CannedResponse(401, body: Google.unauthenticated, headers: [("WWW-Authenticate", #"Bearer realm="https://accounts.google.com/", error="invalid_token""#)]),
            .failure(
                .unauthorized, status: 401, retryable: false,
                mentions: ["Dialogflow ES answered HTTP 401", "UNAUTHENTICATED", "invalid authentication credentials"]
            )
        ),
        AdapterCase(
            "429", CannedResponse(429, body: Google.resourceExhausted),
            .failure(.rateLimited, status: 429, retryable: true, mentions: ["RESOURCE_EXHAUSTED", "Quota exceeded"])
        ),
        AdapterCase(
            "500", CannedResponse(500, body: Google.internalError),
            .failure(.server, status: 500, retryable: true, mentions: ["INTERNAL Internal error encountered."])
        ),
        AdapterCase(
            "404", CannedResponse(404, body: Google.notFound),
            .failure(.rejected, status: 404, retryable: false, mentions: ["NOT_FOUND"])
        ),
        AdapterCase(
            "200 without queryResult", CannedResponse(body: #"{"responseId":"x"}"#),
            .failure(.badResponse, status: 200, retryable: false, mentions: ["without a queryResult object"])
        ),
        AdapterCase(
            "200 truncated JSON", CannedResponse(body: #"{"responseId":"x","queryResult":{"#),
            .failure(.badResponse, status: 200, retryable: false, mentions: ["not a JSON object"])
        ),
        AdapterCase(
            "slow", CannedResponse(body: DialogflowES.success, delay: TestTiming.slow),
            .failure(.timeout, status: nil, retryable: true, mentions: ["Dialogflow ES did not answer within"])
        ),
    ]

    @Test("Dialogflow ES", arguments: cases)
    func scenario(_ scenario: AdapterCase) async throws {
        try await FakeNLUServer.with(scenario.response) { url, client, log in
            let dialogflow = DialogflowESNLU(httpClient: client, configuration: Self.configuration(url, timeout: TestTiming.timeout(for: scenario.response)))
            let (outcome, _) = await measure {
                await dialogflow.understand(Self.text, session: Self.session, messageId: "m-1")
            }
            check(outcome, scenario.expected)

            guard let request = try await log.received(in: scenario) else { return }
            #expect(request.method == "POST")
            #expect(request.path == "/v2/projects/ledgerbot-demo/agent/sessions/ledgerbot-1-42:detectIntent")
            #expect(request.query == nil)
            #expect(request.headerValues("Authorization") == ["Bearer \(Self.tokenValue)"])
            #expect(request.headerValues("Content-Type") == ["application/json; charset=utf-8"])
            #expect(request.header("x-goog-user-project") == nil)
            #expect(
                request.bodyText == #"{"queryInput":{"text":{"languageCode":"en","text":"Cancel order 12345 please"}}}"#
            )
        }
    }

    @Test func regionalEnvironmentAndTokenFileAndQuotaProject() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("nlu-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let tokenFile = directory.appendingPathComponent("token").path
        try "first-token-value\n".write(toFile: tokenFile, atomically: true, encoding: .utf8)

        try await FakeNLUServer.with(CannedResponse(body: DialogflowES.success)) { url, client, log in
            var configuration = Self.configuration(url, token: .file(tokenFile))
            configuration.location = "europe-west1"
            configuration.environment = "production"
            configuration.quotaProject = "billing-project"
            configuration.languageCode = "pt-BR"
            let dialogflow = DialogflowESNLU(httpClient: client, configuration: configuration)

            _ = await dialogflow.understand("Olá", session: "conv:7", messageId: nil)
            // The file is read again for every request: a refreshed token is used at once.
            try "second-token-value".write(toFile: tokenFile, atomically: true, encoding: .utf8)
            #expect(await dialogflow.understand("Olá", session: "conv:7", messageId: nil).result != nil)

            let requests = await log.requests
            #expect(requests.count == 2)
            #expect(
                requests.first?.path
                    == "/v2/projects/ledgerbot-demo/locations/europe-west1/agent/environments/production/users/-/sessions/conv%3A7:detectIntent"
            )
            #expect(requests.map { $0.header("Authorization") } == ["Bearer first-token-value", "Bearer second-token-value"])
            #expect(requests.first?.header("x-goog-user-project") == "billing-project")
            #expect(requests.first?.bodyText == #"{"queryInput":{"text":{"languageCode":"pt-BR","text":"Olá"}}}"#)
        }
    }

    @Test func missingTokenFileFailsWithoutSending() async throws {
        try await FakeNLUServer.with(CannedResponse(body: DialogflowES.success)) { url, client, log in
            let dialogflow = DialogflowESNLU(
                httpClient: client,
                configuration: Self.configuration(url, token: .file("/nonexistent/dialogflow-token"))
            )
            let failure = try #require(await dialogflow.understand(Self.text, session: "s", messageId: nil).failure)
            #expect(failure.kind == .unauthorized)
            #expect(!failure.retryable)
            #expect(failure.message.contains("/nonexistent/dialogflow-token"))
            #expect(await log.requests.isEmpty)
        }
    }

    @Test func defaultBaseURL() {
        let configuration = DialogflowESNLU.Configuration(projectId: "p", languageCode: "en", token: .value("t"))
        #expect(configuration.baseURL.absoluteString == "https://dialogflow.googleapis.com")
        #expect(configuration.timeout == .seconds(3))
    }
}
