import AsyncHTTPClient
import Domain
import Effects
import Foundation
import Hummingbird
import Logging
import NIOCore
import Testing

/// The HTTP lookup performer against a real backend on loopback.
@Suite struct LookupPerformerTests {
    /// A backend whose validation error repeats the request (FastAPI/pydantic do): the `${VAR}`
    /// secrets substituted into it must not reach the recorded error, as they are or encoded.
    @Test func anErrorEchoingTheRequestHidesTheSubstitutedSecrets() async throws {
        let router = Router()
        router.post("/orders") { request, _ -> Response in
            var request = request
            let body = try await request.collectBody(upTo: 1 << 16)
            let echo = "{\"detail\":[{\"type\":\"missing\",\"input\":\(String(buffer: body)),\"url\":\"\(request.uri)\"}]}"
            return Response(status: .unprocessableContent, body: .init(byteBuffer: ByteBuffer(string: echo)))
        }
        let secret = "sk_live_Zq9/+secret&value"
        try await withBackend(router) { port in
            let client = HTTPClient(eventLoopGroupProvider: .singleton)
            let performer = HTTPLookupPerformer(httpClient: client, variables: ["ORDERS_KEY": secret, "ORDERS_API": "http://127.0.0.1:\(port)"],
                                                logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
            let call = LookupCall(name: "create_order", method: "POST", url: "${ORDERS_API}/orders?key=${ORDERS_KEY}",
                                  body: #"{"api_key": "${ORDERS_KEY}", "item": 1}"#, idempotencyKey: "k")
            let outcome = await performer.attempt(call)
            try await client.shutdown()
            guard case .final(let status, let message) = outcome else {
                Issue.record("expected a final 422, got \(outcome)")
                return
            }
            #expect(status == 422)
            #expect(message.contains("***") && message.contains("\"item\": 1"), "\(message)")
            #expect(!message.contains("sk_live") && !message.contains("Zq9"), "\(message)")

            // A secret across the excerpt's cut (300 characters) leaves nothing of itself either.
            let padded = LookupCall(name: "create_order", method: "POST", url: "${ORDERS_API}/orders",
                                    body: "{\"pad\": \"" + String(repeating: "p", count: 235) + "\", \"api_key\": \"${ORDERS_KEY}\"}", idempotencyKey: "k")
            let client2 = HTTPClient(eventLoopGroupProvider: .singleton)
            let performer2 = HTTPLookupPerformer(httpClient: client2, variables: ["ORDERS_KEY": secret, "ORDERS_API": "http://127.0.0.1:\(port)"],
                                                 logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
            let cut = await performer2.attempt(padded)
            try await client2.shutdown()
            guard case .final(_, let cutMessage) = cut else {
                Issue.record("expected a final 422, got \(cut)")
                return
            }
            #expect(!cutMessage.contains("sk_l"), "\(cutMessage)")
        }
    }

    /// `${VAR}` values are escaped for where they go: a key with `&`, `+`, `=` and `#` stays one
    /// query parameter, and a token with quotes and a backslash stays one JSON string, while the
    /// base address (`${API}`, or a host after `scheme://`) is inserted as written.
    @Test func variablesAreEscapedForTheirPlaceInTheURLAndTheBody() async throws {
        let router = Router()
        router.post("/v1/orders/:segment") { request, context -> Response in
            var request = request
            let body = try await request.collectBody(upTo: 1 << 16)
            let parsed = try JSONSerialization.jsonObject(with: Data(buffer: body)) as? [String: Any]
            let answer: [String: Any] = ["segment": context.parameters.get("segment")?.removingPercentEncoding ?? "", "key": request.uri.queryParameters.get("key") ?? "",
                                         "other": request.uri.queryParameters.get("other") ?? "", "token": parsed?["token"] ?? "", "count": parsed?["count"] ?? ""]
            return Response(status: .ok, body: .init(byteBuffer: ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: answer))))
        }
        let key = "a&other=x+y#z"
        let token = #"say "hi" \ back/slash"#
        try await withBackend(router) { port in
            let client = HTTPClient(eventLoopGroupProvider: .singleton)
            let performer = HTTPLookupPerformer(httpClient: client,
                                                variables: ["HOST": "127.0.0.1", "PORT": "\(port)", "KEY": key, "TOKEN": token, "SEGMENT": "a/b c", "COUNT": "3"],
                                                logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
            let call = LookupCall(name: "create_order", method: "POST", url: "http://${HOST}:${PORT}/v1/orders/${SEGMENT}?key=${KEY}&other=1",
                                  body: #"{"token": "${TOKEN}", "count": ${COUNT}}"#,
                                  extract: ["segment": "segment", "key": "key", "other": "other", "token": "token", "count": "count"], idempotencyKey: "k")
            let outcome = await performer.attempt(call)
            try await client.shutdown()
            guard case .success(let answer) = outcome else {
                Issue.record("expected an answer, got \(outcome)")
                return
            }
            #expect(answer.fields["segment"] == .string("a/b c"))
            #expect(answer.fields["key"] == .string(key))
            #expect(answer.fields["other"] == .string("1"))
            #expect(answer.fields["token"] == .string(token))
            #expect(answer.fields["count"] == .int(3))
        }
        // The base address as a whole, and its parts after `scheme://`, are not values.
        let variables = ["API": "http://h:1/api/v2", "HOST": "h", "ID": "1/2", "Q": #"x"y"#]
        #expect(Variables.expand("${API}/orders/${ID}", from: variables, in: .url) == "http://h:1/api/v2/orders/1%2F2")
        #expect(Variables.expand("https://${HOST}/${API}", from: variables, in: .url) == "https://h/http%3A%2F%2Fh%3A1%2Fapi%2Fv2")
        #expect(Variables.expand(#"{"id": "${Q}", "n": ${ID}}"#, from: variables, in: .json) == #"{"id": "x\"y", "n": 1/2}"#)
        #expect(Variables.expand(#"{"a\"${Q}": 1, "b": "\\", "c": "${Q}"}"#, from: variables, in: .json) == #"{"a\"x\"y": 1, "b": "\\", "c": "x\"y"}"#)
    }

    /// Runs a Hummingbird backend on a loopback port for `body`.
    private func withBackend(_ router: Router<BasicRequestContext>, _ body: (Int) async throws -> Void) async throws {
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                              onServerRunning: { continuation.yield($0.localAddress?.port ?? 0) })
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await app.runService(gracefulShutdownSignals: []) }
            defer { group.cancelAll() }
            var iterator = ports.makeAsyncIterator()
            try await body(await iterator.next() ?? 0)
        }
    }
}
