import Chatwoot
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// An HTTP call as a simulated system sees it, after the HTTP layer read it.
struct IncomingCall: Sendable {
    var method: String
    /// Without the query string.
    var path: String
    var query: String?
    var headers: HTTPFields
    var body: Data
}

/// What a simulated system (Chatwoot, the sample backends) answers, behind the recording and
/// failure injection of ``SimulatorResponder``.
protocol SimulatedEndpoints: Sendable {
    /// What the request log keeps of the call. The log sets `sequence`; the responder sets the
    /// outcome.
    func record(_ call: IncomingCall) async -> RecordedRequest
    /// The answer when no failure is injected.
    func answer(_ call: IncomingCall) async -> RESTResponse
    /// The answer to an injected `.status(status, body: nil)`: this system's usual body for it.
    func injectedAnswer(status: Int) -> RESTResponse
}

extension RecordedRequest {
    /// The call with all its headers (those named in `redacted`, lowercased, kept as `***`), no
    /// token and no outcome yet.
    init(_ call: IncomingCall, redacting redacted: Set<String> = []) {
        var headers: [String: String] = [:]
        for field in call.headers {
            let name = field.name.canonicalName
            let value = redacted.contains(name) ? "***" : field.value
            headers[name] = headers[name].map { "\($0), \(value)" } ?? value
        }
        self.init(
            sequence: 0,
            method: call.method,
            path: call.path,
            query: call.query,
            headers: headers,
            accessTokenHeader: nil,
            accessTokenValid: false,
            contentType: call.headers[.contentType],
            body: call.body,
            responseStatus: nil,
            injectedFailure: nil
        )
    }
}

/// Answers every HTTP request of a simulated server: records it, applies an injected failure if
/// one matches, and otherwise lets the system's ``SimulatedEndpoints`` answer it.
struct SimulatorResponder: HTTPResponder {
    typealias Context = SimulatorRequestContext

    let endpoints: any SimulatedEndpoints
    let requestLog: RequestLog
    let failures: FailureInjector
    let bodyLimit: Int

    func respond(to request: Request, context: Context) async throws -> Response {
        let body: Data
        do {
            body = Data(try await request.body.collect(upTo: bodyLimit).readableBytesView)
        } catch {
            return Self.response(RESTResponse(status: 413, json: ["status": 413, "error": "Payload Too Large"]))
        }
        let call = IncomingCall(
            method: request.method.rawValue,
            path: request.uri.path,
            query: request.uri.query,
            headers: request.headers,
            body: body
        )
        let sequence = requestLog.begin(await endpoints.record(call))

        guard let failure = failures.take(method: call.method, path: call.path) else {
            let answer = await endpoints.answer(call)
            requestLog.finish(sequence, status: answer.status)
            return Self.response(answer)
        }
        switch failure {
        case .status(let status, let text):
            let answer = injectedAnswer(status: status, body: text)
            requestLog.finish(sequence, status: status, injected: failure)
            return Self.response(answer)
        case .timeout(let duration):
            requestLog.finish(sequence, status: nil, injected: failure)
            // Cancelled when the server stops; the connection is closed either way.
            try? await Task.sleep(for: duration)
            return try await Self.drop(context.channel)
        case .closeConnection:
            requestLog.finish(sequence, status: nil, injected: failure)
            return try await Self.drop(context.channel)
        case .slowResponse(let duration):
            let answer = await endpoints.answer(call)
            try await Task.sleep(for: duration)
            requestLog.finish(sequence, status: answer.status, injected: failure)
            return Self.response(answer)
        case .answerLost(let status):
            _ = await endpoints.answer(call)
            requestLog.finish(sequence, status: status, injected: failure)
            return Self.response(endpoints.injectedAnswer(status: status))
        }
    }

    private func injectedAnswer(status: Int, body: String?) -> RESTResponse {
        guard let body else { return endpoints.injectedAnswer(status: status) }
        // A body that is not JSON is sent as plain text.
        if let json = try? JSONDecoder().decode(JSONValue.self, from: Data(body.utf8)) {
            return RESTResponse(status: status, json: json)
        }
        return RESTResponse(status: status, text: body)
    }

    /// Closes the connection without an answer. The returned response is never written.
    private static func drop(_ channel: any Channel) async throws -> Response {
        try? await channel.close()  // already closed by the client: nothing left to do
        throw CancellationError()
    }

    private static func response(_ answer: RESTResponse) -> Response {
        var headers = HTTPFields()
        if answer.json != nil || answer.text != nil {
            headers[.contentType] = answer.contentType
        }
        return Response(
            status: HTTPResponse.Status(code: answer.status),
            headers: headers,
            body: .init(byteBuffer: ByteBuffer(bytes: answer.body))
        )
    }
}

// MARK: - Chatwoot

/// The simulated Chatwoot's REST API: the store answers as Chatwoot would.
struct ChatwootEndpoints: SimulatedEndpoints {
    let store: SimulatorStore

    func record(_ call: IncomingCall) async -> RecordedRequest {
        let token = Self.accessToken(in: call.headers)
        var recorded = RecordedRequest(call, redacting: Self.tokenHeaderNames)
        recorded.accessTokenHeader = token?.name.rawName
        recorded.accessTokenValid = await store.isValidToken(token?.value)
        return recorded
    }

    func answer(_ call: IncomingCall) async -> RESTResponse {
        let token = Self.accessToken(in: call.headers)?.value
        return await store.handle(BotRequest(method: call.method, path: call.path, accessToken: token, body: call.body))
    }

    /// Chatwoot's usual bodies: rack-attack's `Retry later` for 429, Rails' error JSON for 5xx.
    func injectedAnswer(status: Int) -> RESTResponse {
        switch status {
        case 429: RESTResponse(status: 429, text: "Retry later\n")
        case 500...599: RESTResponse(status: status, json: ["status": .int(status), "error": "Internal Server Error"])
        default: RESTResponse(status: status, json: ["error": "Injected failure"])
        }
    }

    /// The token header and its hyphenated form, lowercased.
    private static let tokenHeaderNames: Set<String> = ["api_access_token", "api-access-token"]

    /// The token and the header it came in: `api_access_token`, or its hyphenated form.
    private static func accessToken(in headers: HTTPFields) -> (name: HTTPField.Name, value: String)? {
        headers.first { tokenHeaderNames.contains($0.name.canonicalName) }.map { ($0.name, $0.value) }
    }
}
