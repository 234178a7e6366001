import AsyncHTTPClient
import Chatwoot
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore

/// A request received by the test server.
struct RecordedRequest: Sendable {
    let method: String
    let path: String
    let accessToken: String?
    let contentType: String?
    let body: Data

    /// The body parsed as JSON, or `nil`.
    var json: JSONValue? {
        try? JSONDecoder().decode(JSONValue.self, from: body)
    }
}

/// What the test server answers.
struct CannedResponse: Sendable {
    var status: HTTPResponse.Status
    var body: String
    var headers: HTTPFields

    init(_ status: HTTPResponse.Status = .ok, body: String = "", headers: HTTPFields = [:]) {
        self.status = status
        self.body = body
        self.headers = headers
    }

    static func fixture(_ name: String) throws -> CannedResponse {
        CannedResponse(.ok, body: try Fixtures.string(name))
    }
}

/// How the test server answers authorised requests.
struct TestResponder: Sendable {
    let respond: @Sendable (RecordedRequest) async throws -> CannedResponse

    init(_ respond: @escaping @Sendable (RecordedRequest) async throws -> CannedResponse) {
        self.respond = respond
    }

    static func always(_ response: CannedResponse) -> TestResponder {
        TestResponder { _ in response }
    }

    static func fixture(_ name: String) -> TestResponder {
        TestResponder { _ in try .fixture(name) }
    }
}

/// The requests a test server received, in order.
actor RequestLog {
    private(set) var requests: [RecordedRequest] = []

    func append(_ request: RecordedRequest) {
        requests.append(request)
    }

    var last: RecordedRequest? { requests.last }
}

/// A stand-in for Chatwoot: a Hummingbird server on `127.0.0.1`, port 0.
///
/// It records every request, answers 401 `{"error":"Invalid Access Token"}` when the
/// `api_access_token` header is not ``token``, and otherwise answers with `respond`.
enum TestChatwootServer {
    static let token = "bot-token-abcdefghijklmnop"

    /// Runs the server for the duration of `body`, which receives its base URL and request log.
    static func run<T: Sendable>(
        respond: TestResponder,
        _ body: @Sendable (URL, RequestLog) async throws -> T
    ) async throws -> T {
        let log = RequestLog()
        let (ports, portContinuation) = AsyncStream.makeStream(of: Int.self)
        let responder = CallbackResponder<BasicRequestContext> { request, _ in
            let bytes = try await request.body.collect(upTo: 1 << 20)
            let recorded = RecordedRequest(
                method: request.method.rawValue,
                path: request.uri.path,
                accessToken: request.headers[HTTPField.Name("api_access_token")!],
                contentType: request.headers[.contentType],
                body: Data(bytes.readableBytesView)
            )
            await log.append(recorded)
            let canned =
                recorded.accessToken == token
                ? try await respond.respond(recorded)
                : CannedResponse(.unauthorized, body: #"{"error":"Invalid Access Token"}"#)
            var headers = canned.headers
            if headers[.contentType] == nil { headers[.contentType] = "application/json; charset=utf-8" }
            return Response(
                status: canned.status,
                headers: headers,
                body: .init(byteBuffer: ByteBuffer(string: canned.body))
            )
        }
        let app = Application(
            responder: responder,
            configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in
                portContinuation.yield(channel.localAddress?.port ?? 0)
                portContinuation.finish()
            },
            logger: Logger(label: "TestChatwootServer", factory: { _ in SwiftLogNoOpLogHandler() })
        )
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                try await app.runService(gracefulShutdownSignals: [])
            }
            var iterator = ports.makeAsyncIterator()
            guard let port = await iterator.next(), port > 0 else {
                group.cancelAll()
                throw TestServerError(message: "The test server did not report a port")
            }
            let baseURL = URL(string: "http://127.0.0.1:\(port)")!
            do {
                let result = try await body(baseURL, log)
                group.cancelAll()
                return result
            } catch {
                group.cancelAll()
                throw error
            }
        }
    }

    /// Runs `body` with a fresh `HTTPClient`, shut down afterwards.
    static func withHTTPClient<T: Sendable>(_ body: (HTTPClient) async throws -> T) async throws -> T {
        let client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup)
        do {
            let result = try await body(client)
            try await client.shutdown()
            return result
        } catch {
            try await client.shutdown()
            throw error
        }
    }

    /// Runs a server and an API client pointed at it.
    static func withAPI<T: Sendable>(
        token: String = token,
        configuration: HTTPChatwootAPI.Configuration = .init(),
        logger: Logger? = nil,
        respond: TestResponder,
        _ body: @Sendable (HTTPChatwootAPI, RequestLog) async throws -> T
    ) async throws -> T {
        try await run(respond: respond) { baseURL, log in
            try await withHTTPClient { client in
                let api = HTTPChatwootAPI(
                    httpClient: client,
                    baseURL: baseURL,
                    accessToken: token,
                    configuration: configuration,
                    logger: logger
                )
                return try await body(api, log)
            }
        }
    }
}

struct TestServerError: Error {
    let message: String
}
