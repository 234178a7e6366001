import AsyncHTTPClient
import HTTPSupport
import Foundation
import JSONScan
import Logging
import NIOCore
import NIOHTTP1

/// ``ChatwootAPI`` over HTTP, with the bot's access token (docs/chatwoot-protocol.md §7).
///
/// Sends JSON with the `api_access_token` header. Makes one attempt per call with a per-request
/// timeout and maps every failure to ``ChatwootAPIError``. The token never appears in logs,
/// errors or descriptions. The `HTTPClient` is injected and not shut down by this type.
///
/// ```swift
/// let api = HTTPChatwootAPI(
///     httpClient: httpClient,
///     baseURL: URL(string: "https://chatwoot.example.com")!,
///     accessToken: token,
///     logger: logger
/// )
/// let address = ConversationAddress(accountId: 1, conversationId: 128)
/// _ = try await api.createMessage(.text("Hello!"), in: address)
/// try await api.toggleStatus(.open, in: address)  // hand off to humans
/// ```
public struct HTTPChatwootAPI: ChatwootAPI, CustomStringConvertible, CustomReflectable {
    public struct Configuration: Sendable {
        /// Deadline for one call, from sending the request to reading the whole response.
        public var requestTimeout: Duration
        /// Larger response bodies are treated as ``ChatwootAPIError/Kind/invalidResponse``.
        public var maximumResponseBytes: Int
        /// Length of ``ChatwootAPIError/bodyExcerpt``.
        public var errorExcerptLength: Int

        public init(
            requestTimeout: Duration = .seconds(10),
            maximumResponseBytes: Int = 1 << 20,
            errorExcerptLength: Int = 300
        ) {
            self.requestTimeout = requestTimeout
            self.maximumResponseBytes = maximumResponseBytes
            self.errorExcerptLength = errorExcerptLength
        }
    }

    /// The header Chatwoot reads the bot token from.
    public static let accessTokenHeaderName = "api_access_token"

    public let baseURL: URL
    public let configuration: Configuration
    private let httpClient: HTTPClient
    private let accessToken: RedactedSecret
    private let logger: Logger

    /// - Parameters:
    ///   - httpClient: Used for every call; owned by the caller.
    ///   - baseURL: Chatwoot's root URL, for example `https://chatwoot.example.com` (a path prefix
    ///     is kept; a trailing slash is ignored).
    ///   - accessToken: The agent bot's access token.
    ///   - logger: Receives `debug` lines per call (method, path, status); nothing if `nil`.
    public init(
        httpClient: HTTPClient,
        baseURL: URL,
        accessToken: String,
        configuration: Configuration = .init(),
        logger: Logger? = nil
    ) {
        self.httpClient = httpClient
        self.baseURL = baseURL
        self.accessToken = RedactedSecret(accessToken)
        self.configuration = configuration
        self.logger = logger ?? Logger(label: "Chatwoot", factory: { _ in SwiftLogNoOpLogHandler() })
    }

    public var description: String { "HTTPChatwootAPI(\(baseURL.redactedForDescription))" }
    public var customMirror: Mirror { Mirror(self, children: ["baseURL": baseURL]) }

    // MARK: - ChatwootAPI

    public func createMessage(
        _ message: OutgoingMessage,
        in conversation: ConversationAddress
    ) async throws(ChatwootAPIError) -> PushMessage {
        let endpoint = Endpoint(conversation, "messages")
        let body = try encode(message, for: endpoint)
        let response = try await post(endpoint, body: body)
        return try decode(PushMessage.self, from: response, for: endpoint)
    }

    public func toggleStatus(
        _ change: ConversationStatusChange,
        in conversation: ConversationAddress
    ) async throws(ChatwootAPIError) -> ToggleStatusResult {
        let endpoint = Endpoint(conversation, "toggle_status")
        let response = try await post(endpoint, body: try encode(change.jsonValue, for: endpoint))
        return try decode(Envelope<ToggleStatusResult>.self, from: response, for: endpoint).payload
    }

    public func togglePriority(
        _ priority: Priority?,
        in conversation: ConversationAddress
    ) async throws(ChatwootAPIError) {
        let endpoint = Endpoint(conversation, "toggle_priority")
        let body: JSONValue = ["priority": priority.map { .string($0.rawValue) } ?? .null]
        _ = try await post(endpoint, body: try encode(body, for: endpoint))
    }

    public func updateCustomAttributes(
        _ attributes: [String: JSONValue],
        in conversation: ConversationAddress
    ) async throws(ChatwootAPIError) -> [String: JSONValue] {
        let endpoint = Endpoint(conversation, "custom_attributes")
        let body: JSONValue = ["custom_attributes": .object(attributes)]
        let response = try await post(endpoint, body: try encode(body, for: endpoint))
        let json = try decode(JSONValue.self, from: response, for: endpoint)
        guard let stored = json["custom_attributes"]?.objectValue else {
            throw ChatwootAPIError(
                kind: .invalidResponse,
                status: response.status,
                endpoint: endpoint.description,
                bodyExcerpt: "The response has no custom_attributes object"
            )
        }
        return stored
    }

    public func assign(
        _ assignee: Assignee,
        in conversation: ConversationAddress
    ) async throws(ChatwootAPIError) -> JSONValue {
        let endpoint = Endpoint(conversation, "assignments")
        let response = try await post(endpoint, body: try encode(assignee.jsonValue, for: endpoint))
        if response.body.readableBytes == 0 { return .null }
        return try decode(JSONValue.self, from: response, for: endpoint)
    }

    public func toggleTyping(
        on: Bool,
        isPrivate: Bool,
        in conversation: ConversationAddress
    ) async throws(ChatwootAPIError) {
        let endpoint = Endpoint(conversation, "toggle_typing_status")
        let body: JSONValue = ["typing_status": on ? "on" : "off", "is_private": .bool(isPrivate)]
        _ = try await post(endpoint, body: try encode(body, for: endpoint))
    }
}

// MARK: - Transport

extension HTTPChatwootAPI {
    /// A conversation-scoped REST path.
    struct Endpoint: CustomStringConvertible {
        let method: HTTPMethod = .POST
        let path: String

        init(_ conversation: ConversationAddress, _ action: String) {
            self.path =
                "/api/v1/accounts/\(conversation.accountId)/conversations/\(conversation.conversationId)/\(action)"
        }

        var description: String { "\(method.rawValue) \(path)" }
    }

    /// A 2xx response.
    struct Response {
        let status: Int
        let body: ByteBuffer
    }

    /// `{"meta": …, "payload": T}`.
    private struct Envelope<Payload: Decodable>: Decodable {
        let payload: Payload
    }

    private func encode(_ value: some Encodable, for endpoint: Endpoint) throws(ChatwootAPIError) -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        do {
            return try encoder.encode(value)
        } catch {
            throw ChatwootAPIError(kind: .invalidRequest, endpoint: endpoint.description, bodyExcerpt: "\(error)")
        }
    }

    private func decode<T: Decodable>(
        _ type: T.Type,
        from response: Response,
        for endpoint: Endpoint
    ) throws(ChatwootAPIError) -> T {
        let bytes = Data(response.body.readableBytesView)
        do {
            guard JSONScanner.isValid(bytes, maximumDepth: WebhookEvent.defaultMaximumNestingDepth) else {
                throw ChatwootAPIError(
                    kind: .invalidResponse,
                    status: response.status,
                    endpoint: endpoint.description,
                    bodyExcerpt: "The response is not JSON or nests too deeply"
                )
            }
            return try JSONDecoder().decode(T.self, from: bytes)
        } catch let error as ChatwootAPIError {
            throw error
        } catch {
            throw ChatwootAPIError(
                kind: .invalidResponse,
                status: response.status,
                endpoint: endpoint.description,
                bodyExcerpt: "Unreadable response: "
                    + (ChatwootAPIError.excerpt(of: bytes, limit: configuration.errorExcerptLength) ?? "empty body")
            )
        }
    }

    /// Sends one request; returns a 2xx response or throws.
    private func post(_ endpoint: Endpoint, body: Data) async throws(ChatwootAPIError) -> Response {
        var request = HTTPClientRequest(url: baseURL.absoluteString.trimmingSuffix("/") + endpoint.path)
        request.method = endpoint.method
        request.headers.add(name: Self.accessTokenHeaderName, value: accessToken.value)
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "Accept", value: "application/json")
        request.body = .bytes(ByteBuffer(bytes: body))

        var logger = self.logger
        logger[metadataKey: "chatwoot.endpoint"] = "\(endpoint)"
        let status: Int
        let retryAfter: Int?
        let responseBody: ByteBuffer
        do {
            let exchange = try await HTTPExchange.perform(request, on: httpClient, timeout: configuration.requestTimeout,
                                                          maximumResponseBytes: configuration.maximumResponseBytes, logger: logger)
            status = exchange.status
            retryAfter = exchange.retryAfterSeconds
            responseBody = exchange.body
        } catch {
            let failure = Self.transportError(error, endpoint: endpoint)
            logger.debug("Chatwoot request failed", metadata: ["chatwoot.error": "\(failure.kind)"])
            throw failure
        }
        logger.debug("Chatwoot request done", metadata: ["http.status": "\(status)"])

        guard (200...299).contains(status) else {
            throw ChatwootAPIError(
                kind: ChatwootAPIError.Kind(status: status),
                status: status,
                endpoint: endpoint.description,
                bodyExcerpt: ChatwootAPIError.excerpt(
                    of: responseBody.readableBytesView,
                    limit: configuration.errorExcerptLength
                ),
                retryAfterSeconds: retryAfter
            )
        }
        return Response(status: status, body: responseBody)
    }

    /// Classifies an error thrown while sending or receiving.
    static func transportError(_ error: any Error, endpoint: Endpoint) -> ChatwootAPIError {
        let kind: ChatwootAPIError.Kind
        switch error {
        case is CancellationError:
            kind = .cancelled
        case is HTTPExchange.TimedOut:
            kind = .timeout
        case let error as HTTPClientError:
            switch error {
            case .deadlineExceeded, .readTimeout, .writeTimeout, .connectTimeout, .tlsHandshakeTimeout,
                .getConnectionFromPoolTimeout, .socksHandshakeTimeout, .httpProxyHandshakeTimeout:
                kind = .timeout
            case .cancelled, .requestStreamCancelled:
                kind = .cancelled
            case .invalidURL, .emptyHost, .emptyScheme, .alreadyShutdown:
                kind = .invalidRequest
            default:
                kind = .transport
            }
        case let error as ChannelError:
            if case .connectTimeout = error { kind = .timeout } else { kind = .transport }
        case is NIOTooManyBytesError:
            kind = .invalidResponse
        default:
            kind = .transport
        }
        return ChatwootAPIError(kind: kind, endpoint: endpoint.description, bodyExcerpt: String(describing: error))
    }
}

extension String {
    fileprivate func trimmingSuffix(_ suffix: String) -> String {
        var result = self
        while result.hasSuffix(suffix) { result.removeLast(suffix.count) }
        return result
    }
}
