import Foundation
import AsyncHTTPClient
import Logging
import NIOCore
import NIOHTTP1

/// One HTTP request and its whole response, read within a time limit: the one way Ledgerbot
/// calls Chatwoot, the company's lookups and the external NLU services.
public struct HTTPExchange: Sendable {
    public var status: Int
    public var headers: HTTPHeaders
    public var body: ByteBuffer

    public var bytes: ByteBufferView { body.readableBytesView }

    /// How long the server asked to be left alone (`Retry-After` in seconds), if it said.
    public var retryAfterSeconds: Int? {
        headers.first(name: "Retry-After").flatMap { Int($0.trimmingCharacters(in: .whitespaces)) }
    }

    public init(status: Int, headers: HTTPHeaders, body: ByteBuffer) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// How every outbound client is set up. Redirects are not followed: AsyncHTTPClient drops
    /// `Authorization` on a redirect to another host but not Chatwoot's `api_access_token` or a
    /// lookup's own secret headers, and it would follow https to http; a 3xx is an answer like
    /// any other non-2xx instead.
    public static var clientConfiguration: HTTPClient.Configuration {
        var configuration = HTTPClient.Configuration()
        configuration.redirectConfiguration = .disallow
        return configuration
    }

    public static func makeClient() -> HTTPClient {
        HTTPClient(eventLoopGroupProvider: .singleton, configuration: clientConfiguration)
    }

    /// The exchange took longer than its time limit (the response head or its body).
    public struct TimedOut: Error, Sendable {}

    /// Sends `request` and reads the response body (up to `maximumResponseBytes`, else
    /// `NIOTooManyBytesError`), all within `timeout`.
    ///
    /// AsyncHTTPClient's deadline ends when the response head arrives, so a server (or a proxy)
    /// that sends its head and then stalls would hold the caller — and the conversation queued
    /// behind it — for ever; a timer here is the backstop for the whole exchange. AsyncHTTPClient's
    /// own deadline comes first, so that its error (a refused connection it kept retrying, say) is
    /// the one reported.
    /// - Throws: ``TimedOut``, or what AsyncHTTPClient threw.
    public static func perform(_ request: HTTPClientRequest, on client: HTTPClient, timeout: Duration, maximumResponseBytes: Int,
                               logger: Logger? = nil) async throws -> HTTPExchange {
        let deadline = NIODeadline.now() + TimeAmount(timeout)
        let outcome = await withTaskGroup(of: Result<HTTPExchange, any Error>?.self) { group in
            group.addTask {
                do {
                    let response = try await client.execute(request, deadline: deadline, logger: logger)
                    let body = try await response.body.collect(upTo: maximumResponseBytes)
                    return .success(HTTPExchange(status: Int(response.status.code), headers: response.headers, body: body))
                } catch {
                    return .failure(error)
                }
            }
            group.addTask {
                do {
                    try await Task.sleep(for: timeout + .milliseconds(100))
                    return .failure(TimedOut())
                } catch {
                    return nil // cancelled: the exchange finished first, or the caller gave up
                }
            }
            var outcome: Result<HTTPExchange, any Error> = .failure(CancellationError())
            for await result in group {
                guard let result else { continue }
                outcome = result
                break
            }
            group.cancelAll()
            return outcome
        }
        return try outcome.get()
    }
}

extension URL {
    /// The URL without user info and query, for logs and descriptions: either may hold a secret.
    public var redactedForDescription: String {
        guard var components = URLComponents(url: self, resolvingAgainstBaseURL: false) else { return "<url>" }
        if components.user != nil || components.password != nil {
            components.user = nil
            components.password = nil
        }
        if components.query != nil { components.query = "***" }
        return components.string ?? "<url>"
    }
}
