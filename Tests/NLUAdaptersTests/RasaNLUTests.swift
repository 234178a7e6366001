import AsyncHTTPClient
import Foundation
import NLUAdapters
import Testing

struct RasaNLUTests {
    static let tokenValue = "rasa-auth-token/with+specials=="
    static let token = Secret(tokenValue)
    static let text = "I want to cancel order 12345"

    static let cases: [AdapterCase] = [
        AdapterCase(
            "success", CannedResponse(body: Rasa.success),
            .result(
                NLUResult(
                    intent: "cancel_order",
                    confidence: 0.9731,
                    ranking: [
                        NLURankedIntent(intent: "cancel_order", confidence: 0.9731),
                        NLURankedIntent(intent: "order_status", confidence: 0.0204),
                        NLURankedIntent(intent: "greet", confidence: 0.0065),
                    ],
                    entities: [
                        NLUEntity(entity: "order_id", value: "12345", start: 23, end: 28, extractor: "DIETClassifier"),
                        NLUEntity(entity: "number", value: "12345", start: 23, end: 28, extractor: "DucklingEntityExtractor"),
                    ],
                    engine: "rasa"
                )
            )
        ),
        AdapterCase(
            "low confidence", CannedResponse(body: Rasa.lowConfidence),
            .result(
                NLUResult(
                    intent: "affirm",
                    confidence: 0.4127,
                    ranking: [
                        NLURankedIntent(intent: "affirm", confidence: 0.4127),
                        NLURankedIntent(intent: "deny", confidence: 0.3311),
                        NLURankedIntent(intent: "greet", confidence: 0.2562),
                    ],
                    engine: "rasa"
                )
            )
        ),
        AdapterCase(
            "no match (nlu_fallback)", CannedResponse(body: Rasa.noMatch),
            .result(
                NLUResult(
                    intent: nil,
                    confidence: 0.3,
                    ranking: [
                        NLURankedIntent(intent: "nlu_fallback", confidence: 0.3),
                        NLURankedIntent(intent: "greet", confidence: 0.2205),
                        NLURankedIntent(intent: "deny", confidence: 0.1849),
                    ],
                    engine: "rasa"
                )
            )
        ),
        AdapterCase(
            "401", CannedResponse(401, body: Rasa.unauthorized),
            .failure(
                .unauthorized, status: 401, retryable: false,
                mentions: ["Rasa answered HTTP 401", "NotAuthenticated", "User is not authenticated."]
            )
        ),
        AdapterCase(
            "403", CannedResponse(403, body: #"{"status":"failure","reason":"NotAuthorized","message":"User has insufficient permissions.","code":403}"#),
            .failure(.unauthorized, status: 403, retryable: false, mentions: ["NotAuthorized"])
        ),
        AdapterCase(
            "429 from a proxy", CannedResponse(429, body: "Too Many Requests", headers: [("Content-Type", "text/plain"), ("Retry-After", "7")]),
            .failure(.rateLimited, status: 429, retryable: true, retryAfter: 7, mentions: ["HTTP 429: Too Many Requests"])
        ),
        AdapterCase(
            "500", CannedResponse(500, body: Rasa.serverError),
            .failure(.server, status: 500, retryable: true, mentions: ["ParsingError", "list index out of range"])
        ),
        AdapterCase(
            "502 from a proxy", CannedResponse(502, body: "<html><body><h1>502 Bad Gateway</h1></body></html>", headers: [("Content-Type", "text/html")]),
            .failure(.server, status: 502, retryable: true, mentions: ["502 Bad Gateway"])
        ),
        AdapterCase(
            "400", CannedResponse(400, body: #"{"status":"failure","reason":"BadRequest","message":"No text message defined in request_body.","code":400}"#),
            .failure(.rejected, status: 400, retryable: false, mentions: ["BadRequest"])
        ),
        AdapterCase(
            "200 that is not JSON", CannedResponse(body: "<html>Rasa Open Source</html>", headers: [("Content-Type", "text/html")]),
            .failure(.badResponse, status: 200, retryable: false, mentions: ["not a JSON object", "<html>"])
        ),
        AdapterCase(
            "200 JSON without a parse result", CannedResponse(body: #"{"version":"3.6.20"}"#),
            .failure(.badResponse, status: 200, retryable: false, mentions: ["without intent"])
        ),
        AdapterCase(
            "slow", CannedResponse(body: Rasa.success, delay: TestTiming.slow),
            .failure(.timeout, status: nil, retryable: true, mentions: ["Rasa did not answer within"])
        ),
    ]

    @Test("Rasa", arguments: cases)
    func scenario(_ scenario: AdapterCase) async throws {
        try await FakeNLUServer.with(scenario.response) { url, client, log in
            let rasa = RasaNLU(
                httpClient: client,
                configuration: .init(url: url, token: Self.token, timeout: TestTiming.timeout(for: scenario.response))
            )
            let (outcome, _) = await measure {
                await rasa.understand(Self.text, session: "ledgerbot-1-42", messageId: "m-981")
            }
            check(outcome, scenario.expected)

            guard let request = try await log.received(in: scenario) else { return }
            #expect(request.method == "POST")
            #expect(request.path == "/model/parse")
            #expect(request.query == "token=rasa-auth-token%2Fwith%2Bspecials%3D%3D")
            #expect(request.headerValues("Content-Type") == ["application/json"])
            #expect(request.header("Authorization") == nil)
            #expect(request.bodyText == #"{"message_id":"m-981","text":"I want to cancel order 12345"}"#)
        }
    }

    @Test func withoutTokenOrMessageIdNothingExtraIsSent() async throws {
        try await FakeNLUServer.with(CannedResponse(body: Rasa.lowConfidence)) { url, client, log in
            let rasa = RasaNLU(httpClient: client, configuration: .init(url: url.appendingPathComponent("nlu"), timeout: TestTiming.timeout))
            let outcome = await rasa.understand("hmm \"maybe\"", session: "s", messageId: nil)
            #expect(outcome.result?.intent == "affirm")
            let request = try #require(await log.onlyOnceReceived())
            #expect(request.path == "/nlu/model/parse")
            #expect(request.query == nil)
            #expect(request.bodyText == #"{"text":"hmm \"maybe\""}"#)
        }
    }

    @Test func unreachableServiceIsARetryableTransportFailure() async throws {
        try await withHTTPClient { client in
            // Nothing listens on port 1.
            let rasa = RasaNLU(
                httpClient: client,
                configuration: .init(url: URL(string: "http://127.0.0.1:1")!, token: Self.token, timeout: .seconds(2))
            )
            let outcome = await rasa.understand(Self.text, session: "s", messageId: nil)
            let failure = try #require(outcome.failure)
            // AsyncHTTPClient retries the refused connection until the deadline, then reports why
            // (on a loaded machine the deadline itself may be what ends it).
            #expect(failure.kind == .transport || failure.kind == .timeout)
            if failure.kind == .transport {
                #expect(failure.message.contains("Cannot reach Rasa"))
                #expect(failure.message.lowercased().contains("refused"))
            }
            #expect(failure.retryable)
            #expect(failure.status == nil)
            #expect(!failure.message.contains(Self.tokenValue))
            #expect(!failure.message.contains("rasa-auth-token%2F"))
        }
    }

    @Test func cancellationIsAFinalTransportFailure() async throws {
        try await FakeNLUServer.with(CannedResponse(body: Rasa.success, delay: TestTiming.slow)) { url, client, _ in
            let rasa = RasaNLU(httpClient: client, configuration: .init(url: url, timeout: .seconds(5)))
            let task = Task { await rasa.understand(Self.text, session: "s", messageId: nil) }
            try await Task.sleep(for: .milliseconds(100))
            task.cancel()
            let failure = try #require(await task.value.failure)
            #expect(failure.kind == .transport)
            #expect(!failure.retryable)
        }
    }
}
