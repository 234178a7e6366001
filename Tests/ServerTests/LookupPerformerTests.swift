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
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                              onServerRunning: { continuation.yield($0.localAddress?.port ?? 0) })
        let secret = "sk_live_Zq9/+secret&value"
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await app.runService(gracefulShutdownSignals: []) }
            defer { group.cancelAll() }
            var iterator = ports.makeAsyncIterator()
            let port = await iterator.next() ?? 0
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
}
