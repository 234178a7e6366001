import AsyncHTTPClient
import Foundation
import NLUAdapters
import Testing

struct DialogflowCXNLUTests {
    static let tokenValue = "ya29.c.cx-test-access-token-9876543210"
    static let text = "I'd like to cancel order 12345"

    static func configuration(_ url: URL, timeout: Duration = TestTiming.timeout) -> DialogflowCXNLU.Configuration {
        DialogflowCXNLU.Configuration(
            projectId: "ledgerbot-demo",
            location: "europe-west1",
            agentId: "6b8d7f2e-1a2b-4c3d-9e8f-0a1b2c3d4e5f",
            languageCode: "en",
            token: .value(Secret(tokenValue)),
            baseURL: url,
            timeout: timeout
        )
    }

    static let cases: [AdapterCase] = [
        AdapterCase(
            "success", CannedResponse(body: DialogflowCX.success),
            .result(
                NLUResult(
                    intent: "order.cancel",
                    confidence: 0.94,
                    ranking: [NLURankedIntent(intent: "order.cancel", confidence: 0.94)],
                    entities: [NLUEntity(entity: "order_id", value: "12345")],
                    reply: "Sure, order 12345 will be cancelled.\n\nIs there anything else I can help with?",
                    action: "Cancel Order",
                    complete: nil,
                    engine: "dialogflow-cx"
                )
            )
        ),
        AdapterCase(
            "low confidence", CannedResponse(body: DialogflowCX.lowConfidence),
            .result(
                NLUResult(
                    intent: "transfer.money",
                    confidence: 0.31,
                    ranking: [NLURankedIntent(intent: "transfer.money", confidence: 0.31)],
                    entities: [NLUEntity(entity: "amount", value: #"{"amount":20,"currency":"EUR"}"#)],
                    reply: "To whom should I send 20 EUR?",
                    action: "Collect Recipient",
                    engine: "dialogflow-cx"
                )
            )
        ),
        AdapterCase(
            "NO_MATCH", CannedResponse(body: DialogflowCX.noMatch),
            .result(
                NLUResult(
                    intent: nil,
                    confidence: 0,
                    ranking: [],
                    entities: [],
                    reply: "I didn't get that. Can you say it again?",
                    action: "Start Page",
                    engine: "dialogflow-cx"
                )
            )
        ),
        AdapterCase(
            "401", CannedResponse(401, body: Google.unauthenticated),
            .failure(.unauthorized, status: 401, retryable: false, mentions: ["Dialogflow CX answered HTTP 401", "UNAUTHENTICATED"])
        ),
        AdapterCase(
            "403", CannedResponse(403, body: #"{"error":{"code":403,"message":"Permission 'dialogflow.sessions.detectIntent' denied on resource","status":"PERMISSION_DENIED"}}"#),
            .failure(.unauthorized, status: 403, retryable: false, mentions: ["PERMISSION_DENIED"])
        ),
        AdapterCase(
            "429", CannedResponse(429, body: Google.resourceExhausted, headers: [("Retry-After", "30")]),
            .failure(.rateLimited, status: 429, retryable: true, retryAfter: 30, mentions: ["RESOURCE_EXHAUSTED"])
        ),
        AdapterCase(
            "500", CannedResponse(500, body: Google.internalError),
            .failure(.server, status: 500, retryable: true, mentions: ["INTERNAL"])
        ),
        AdapterCase(
            "503", CannedResponse(503, body: #"{"error":{"code":503,"message":"The service is currently unavailable.","status":"UNAVAILABLE"}}"#),
            .failure(.server, status: 503, retryable: true, mentions: ["UNAVAILABLE"])
        ),
        AdapterCase(
            "200 that is a JSON array", CannedResponse(body: "[]"),
            .failure(.badResponse, status: 200, retryable: false, mentions: ["not a JSON object"])
        ),
        AdapterCase(
            "slow", CannedResponse(body: DialogflowCX.success, delay: TestTiming.slow),
            .failure(.timeout, status: nil, retryable: true, mentions: ["Dialogflow CX did not answer within"])
        ),
    ]

    @Test("Dialogflow CX", arguments: cases)
    func scenario(_ scenario: AdapterCase) async throws {
        try await FakeNLUServer.with(scenario.response) { url, client, log in
            let dialogflow = DialogflowCXNLU(httpClient: client, configuration: Self.configuration(url, timeout: TestTiming.timeout(for: scenario.response)))
            let (outcome, _) = await measure {
                await dialogflow.understand(Self.text, session: "ledgerbot-1-42", messageId: "m-1")
            }
            check(outcome, scenario.expected)

            guard let request = try await log.received(in: scenario) else { return }
            #expect(request.method == "POST")
            #expect(
                request.path
                    == "/v3/projects/ledgerbot-demo/locations/europe-west1/agents/6b8d7f2e-1a2b-4c3d-9e8f-0a1b2c3d4e5f/sessions/ledgerbot-1-42:detectIntent"
            )
            #expect(request.query == nil)
            #expect(request.headerValues("Authorization") == ["Bearer \(Self.tokenValue)"])
            #expect(request.headerValues("Content-Type") == ["application/json; charset=utf-8"])
            #expect(
                request.bodyText == #"{"queryInput":{"languageCode":"en","text":{"text":"I'd like to cancel order 12345"}}}"#
            )
        }
    }

    @Test func environmentPath() async throws {
        try await FakeNLUServer.with(CannedResponse(body: DialogflowCX.success)) { url, client, log in
            var configuration = Self.configuration(url)
            configuration.environment = "e1a2"
            let dialogflow = DialogflowCXNLU(httpClient: client, configuration: configuration)
            _ = await dialogflow.understand(Self.text, session: "s-1", messageId: nil)
            #expect(
                await log.only?.path
                    == "/v3/projects/ledgerbot-demo/locations/europe-west1/agents/6b8d7f2e-1a2b-4c3d-9e8f-0a1b2c3d4e5f/environments/e1a2/sessions/s-1:detectIntent"
            )
        }
    }

    @Test func defaultBaseURLFollowsTheLocation() {
        let global = DialogflowCXNLU.Configuration(projectId: "p", agentId: "a", languageCode: "en", token: .value("t"))
        #expect(global.baseURL.absoluteString == "https://dialogflow.googleapis.com")
        let regional = DialogflowCXNLU.Configuration(
            projectId: "p", location: "us-central1", agentId: "a", languageCode: "en", token: .value("t")
        )
        #expect(regional.baseURL.absoluteString == "https://us-central1-dialogflow.googleapis.com")
        #expect(regional.timeout == .seconds(3))
    }
}
