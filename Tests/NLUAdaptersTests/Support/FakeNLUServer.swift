import AsyncHTTPClient
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore

/// A request the fake server received, as it came over the wire.
struct RecordedRequest: Sendable {
    let method: String
    /// The raw path, before `?`, not decoded.
    let path: String
    /// The raw query after `?`, or `nil`.
    let query: String?
    /// The `Host` (HTTP/1.1) / `:authority`.
    let host: String?
    /// Every header except `Host`, in order, names as sent.
    let headers: [(name: String, value: String)]
    let body: Data

    var bodyText: String { String(decoding: body, as: UTF8.self) }

    /// The first value of `name` (any case).
    func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    /// Every value of `name` (any case).
    func headerValues(_ name: String) -> [String] {
        headers.filter { $0.name.lowercased() == name.lowercased() }.map(\.value)
    }
}

/// What the fake server answers.
struct CannedResponse: Sendable {
    var status: Int
    var body: String
    var headers: [(name: String, value: String)]
    /// Waits this long before answering (a slow service).
    var delay: Duration?

    init(_ status: Int = 200, body: String, headers: [(name: String, value: String)] = [], delay: Duration? = nil) {
        self.status = status
        self.body = body
        self.headers = headers
        self.delay = delay
    }
}

/// The requests a fake server received, in order.
actor RequestLog {
    private(set) var requests: [RecordedRequest] = []

    func append(_ request: RecordedRequest) { requests.append(request) }

    var only: RecordedRequest? { requests.count == 1 ? requests[0] : nil }

    /// ``only``, once a request has come (waiting up to 10 s): a client that gave up, as in the
    /// slow scenarios, may have done so before a loaded machine let the server read its request.
    func onlyOnceReceived() async -> RecordedRequest? {
        for _ in 0..<200 where requests.isEmpty { try? await Task.sleep(for: .milliseconds(50)) }
        return only
    }
}

struct FakeServerError: Error, CustomStringConvertible {
    let description: String
}

/// A stand-in for an NLU service: Hummingbird 2 on `127.0.0.1`, an ephemeral port. It records
/// every request and answers with `respond`.
enum FakeNLUServer {
    static func run<T: Sendable>(
        respond: @escaping @Sendable (RecordedRequest) async -> CannedResponse,
        _ body: @Sendable (URL, RequestLog) async throws -> T
    ) async throws -> T {
        let log = RequestLog()
        let (ports, portContinuation) = AsyncStream.makeStream(of: Int.self)
        let responder = CallbackResponder<BasicRequestContext> { request, _ in
            let bytes = try await request.body.collect(upTo: 1 << 20)
            let target = request.head.path ?? "/"
            let questionMark = target.firstIndex(of: "?")
            let recorded = RecordedRequest(
                method: request.method.rawValue,
                path: questionMark.map { String(target[..<$0]) } ?? target,
                query: questionMark.map { String(target[target.index(after: $0)...]) },
                host: request.head.authority,
                headers: request.headers.map { (name: $0.name.rawName, value: $0.value) },
                body: Data(bytes.readableBytesView)
            )
            await log.append(recorded)
            let canned = await respond(recorded)
            if let delay = canned.delay { try? await Task.sleep(for: delay) }
            var headers = HTTPFields()
            for (name, value) in canned.headers { headers.append(HTTPField(name: HTTPField.Name(name)!, value: value)) }
            if headers[.contentType] == nil { headers[.contentType] = "application/json; charset=utf-8" }
            return Response(
                status: HTTPResponse.Status(code: canned.status),
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
            logger: Logger(label: "FakeNLUServer", factory: { _ in SwiftLogNoOpLogHandler() })
        )
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await app.runService(gracefulShutdownSignals: []) }
            var iterator = ports.makeAsyncIterator()
            guard let port = await iterator.next(), port > 0 else {
                group.cancelAll()
                throw FakeServerError(description: "The fake server did not report a port")
            }
            do {
                let result = try await body(URL(string: "http://127.0.0.1:\(port)")!, log)
                group.cancelAll()
                return result
            } catch {
                group.cancelAll()
                throw error
            }
        }
    }

    /// Runs a server answering `response` to every request, and an `HTTPClient`, for `body`.
    static func with<T: Sendable>(
        _ response: CannedResponse,
        _ body: @Sendable (URL, HTTPClient, RequestLog) async throws -> T
    ) async throws -> T {
        try await run(respond: { _ in response }) { url, log in
            try await withHTTPClient { client in try await body(url, client, log) }
        }
    }
}

/// Runs `body` with a fresh `HTTPClient`, shut down afterwards.
func withHTTPClient<T: Sendable>(_ body: (HTTPClient) async throws -> T) async throws -> T {
    let client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup)
    do {
        let result = try await body(client)
        try await client.shutdown()
        return result
    } catch {
        try? await client.shutdown()
        throw error
    }
}

/// A timeout generous enough for a loaded 2-core machine running the whole suite in parallel
/// (a fast answer must never miss it), and a "slow" delay well beyond it. Nothing asserts how
/// long a call took: a slow scenario proves the timeout by its outcome (`.timeout`, where waiting
/// would have given the answer).
enum TestTiming {
    /// For answers that come at once: never reached, even with the whole suite running.
    static let timeout: Duration = .seconds(60)
    /// For the "slow" scenarios: the adapter must give up at this (long enough for a loaded
    /// machine to deliver the request first, almost always)…
    static let short: Duration = .seconds(3)
    /// …long before the fake service answers.
    static let slow: Duration = .seconds(10)

    static func timeout(for response: CannedResponse) -> Duration {
        (response.delay ?? .zero) >= slow ? short : timeout
    }
}
