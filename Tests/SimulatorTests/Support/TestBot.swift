import Chatwoot
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore

/// A stand-in Agent Bot: a Hummingbird server on `127.0.0.1`, port 0, that records webhooks and
/// answers from a script.
enum TestBot {
    static func run<T: Sendable>(_ body: @Sendable (URL, BotInbox) async throws -> T) async throws -> T {
        let inbox = BotInbox()
        let (ports, portContinuation) = AsyncStream.makeStream(of: Int.self)
        let responder = CallbackResponder<BasicRequestContext> { request, _ in
            let bytes = try await request.body.collect(upTo: 1 << 22)
            let webhook = ReceivedWebhook(
                deliveryId: request.headers[HTTPField.Name(WebhookSignature.deliveryHeaderName)!],
                timestamp: request.headers[HTTPField.Name(WebhookSignature.timestampHeaderName)!],
                signature: request.headers[HTTPField.Name(WebhookSignature.signatureHeaderName)!],
                contentType: request.headers[.contentType],
                accept: request.headers[.accept],
                body: Data(bytes.readableBytesView)
            )
            let answer = await inbox.receive(webhook)
            if let delay = answer.delay { try await Task.sleep(for: delay) }
            var headers = HTTPFields()
            // A redirect back to where it came from: followed, the same event would arrive again.
            if (300..<400).contains(answer.status) { headers[.location] = request.uri.path }
            return Response(status: HTTPResponse.Status(code: answer.status), headers: headers)
        }
        let app = Application(
            responder: responder,
            configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in
                portContinuation.yield(channel.localAddress?.port ?? 0)
                portContinuation.finish()
            },
            logger: Logger(label: "TestBot", factory: { _ in SwiftLogNoOpLogHandler() })
        )
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await app.run() }
            defer { group.cancelAll() }
            var iterator = ports.makeAsyncIterator()
            guard let port = await iterator.next(), port > 0 else {
                throw TestBotError(message: "The test bot did not report a port")
            }
            return try await body(URL(string: "http://127.0.0.1:\(port)/webhooks/chatwoot")!, inbox)
        }
    }
}

struct TestBotError: Error {
    let message: String
}
