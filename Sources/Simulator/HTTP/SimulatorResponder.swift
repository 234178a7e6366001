import Chatwoot
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// Answers every HTTP request of the simulator's server: records it, applies an injected failure
/// if one matches, and otherwise lets the store answer it as Chatwoot would.
struct SimulatorResponder: HTTPResponder {
    typealias Context = SimulatorRequestContext

    let store: SimulatorStore
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
        let token = Self.accessToken(in: request.headers)
        let method = request.method.rawValue
        let path = request.uri.path
        let sequence = requestLog.begin(
            RecordedRequest(
                sequence: 0,
                method: method,
                path: path,
                query: request.uri.query,
                accessTokenHeader: token?.headerName,
                accessTokenValid: await store.isValidToken(token?.value),
                contentType: request.headers[.contentType],
                body: body,
                responseStatus: nil,
                injectedFailure: nil
            )
        )
        let botRequest = BotRequest(method: method, path: path, accessToken: token?.value, body: body)

        guard let failure = failures.take(method: method, path: path) else {
            let answer = await store.handle(botRequest)
            requestLog.finish(sequence, status: answer.status)
            return Self.response(answer)
        }
        switch failure {
        case .status(let status, let text):
            let answer = Self.injectedAnswer(status: status, body: text)
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
            let answer = await store.handle(botRequest)
            try await Task.sleep(for: duration)
            requestLog.finish(sequence, status: answer.status, injected: failure)
            return Self.response(answer)
        }
    }

    /// The token and the header name it came in: `api_access_token`, or its hyphenated form.
    private static func accessToken(in headers: HTTPFields) -> (headerName: String, value: String)? {
        for field in headers {
            let canonical = field.name.canonicalName
            if canonical == "api_access_token" || canonical == "api-access-token" {
                return (field.name.rawName, field.value)
            }
        }
        return nil
    }

    private static func injectedAnswer(status: Int, body: String?) -> RESTResponse {
        if let body {
            // A body that is not JSON is sent as plain text.
            if let json = try? JSONDecoder().decode(JSONValue.self, from: Data(body.utf8)) {
                return RESTResponse(status: status, json: json)
            }
            return RESTResponse(status: status, text: body)
        }
        switch status {
        case 429: return RESTResponse(status: 429, text: "Retry later\n")
        case 500...599: return RESTResponse(status: status, json: ["status": .int(status), "error": "Internal Server Error"])
        default: return RESTResponse(status: status, json: ["error": "Injected failure"])
        }
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
