import AsyncHTTPClient
import Chatwoot
import Foundation
import HTTPSupport
import Synchronization
#if canImport(Glibc)
import Glibc
#endif
import Testing

/// `HTTPChatwootAPI` against a Hummingbird stand-in for Chatwoot on loopback.
struct HTTPChatwootAPITests {
    let address = ConversationAddress(accountId: 1, conversationId: 128)

    // MARK: - Requests and responses

    @Test func createMessageSendsTokenAndJSONAndDecodesTheResponse() async throws {
        try await TestChatwootServer.withAPI(respond: .fixture("api-message-create-response")) { api, log in
            var message = OutgoingMessage.inputSelect(
                "Sure! What do you need help with?",
                items: [
                    SelectItem(title: "Track my order", value: "track_order"),
                    SelectItem(title: "Return an item", value: "return_item"),
                    SelectItem(title: "Talk to a human", value: "handoff"),
                ]
            )
            message.echoId = "effect-17"
            message.sourceId = "ledger-42"
            let created = try await api.createMessage(message, in: address)

            #expect(created.id == 9002)
            #expect(created.messageType == .outgoing)  // integer 1 in the response
            #expect(created.contentType == .inputSelect)
            #expect(created.status == .sent)
            #expect(created.createdAt == 1_778_663_744)
            #expect(created.conversationId == 128)
            #expect(created.senderKind == .agentBot)
            #expect(created.contentAttributes?["items"]?[2]?["value"] == "handoff")

            let request = try #require(await log.last)
            #expect(request.method == "POST")
            #expect(request.path == "/api/v1/accounts/1/conversations/128/messages")
            #expect(request.accessToken == TestChatwootServer.token)
            #expect(request.contentType == "application/json")
            #expect(
                request.json == [
                    "content": "Sure! What do you need help with?",
                    "message_type": "outgoing",
                    "private": false,
                    "content_type": "input_select",
                    "content_attributes": [
                        "items": [
                            ["title": "Track my order", "value": "track_order"],
                            ["title": "Return an item", "value": "return_item"],
                            ["title": "Talk to a human", "value": "handoff"],
                        ]
                    ],
                    "echo_id": "effect-17",
                    "source_id": "ledger-42",
                ]
            )
        }
    }

    @Test func everyContentTypeIsSentWithItsExactShape() async throws {
        let cases: [(OutgoingMessage, JSONValue)] = [
            (
                .text("Hello"),
                ["content": "Hello", "message_type": "outgoing", "private": false, "content_type": "text"]
            ),
            (
                .privateNote("Customer asked for a refund"),
                [
                    "content": "Customer asked for a refund", "message_type": "outgoing", "private": true,
                    "content_type": "text",
                ]
            ),
            (
                .cards(
                    [
                        Card(
                            title: "Parcel A-10023",
                            description: "In transit",
                            mediaURL: "https://cdn.example/p.png",
                            actions: [
                                .link(text: "Track", uri: "https://track.example/A-10023"),
                                .postback(text: "Done", payload: "done"),
                            ]
                        ),
                        Card(title: "Minimal", actions: [.postback(text: "Pick", payload: "p")]),
                    ],
                    content: "Your parcels"
                ),
                [
                    "content": "Your parcels", "message_type": "outgoing", "private": false, "content_type": "cards",
                    "content_attributes": [
                        "items": [
                            [
                                "title": "Parcel A-10023", "description": "In transit",
                                "media_url": "https://cdn.example/p.png",
                                "actions": [
                                    ["type": "link", "text": "Track", "uri": "https://track.example/A-10023"],
                                    ["type": "postback", "text": "Done", "payload": "done"],
                                ],
                            ],
                            ["title": "Minimal", "actions": [["type": "postback", "text": "Pick", "payload": "p"]]],
                        ]
                    ],
                ]
            ),
            (
                .form(
                    "Please share a few details.",
                    items: [
                        FormItem(name: "email", label: "Email", type: .email, placeholder: "you@example.com", required: true),
                        FormItem(
                            name: "order_number",
                            label: "Order number",
                            type: .text,
                            required: true,
                            pattern: "^A-[0-9]{5}$",
                            patternError: "Use the format A-12345"
                        ),
                        FormItem(
                            name: "topic",
                            label: "Topic",
                            type: .select,
                            defaultValue: "delivery",
                            options: [FormOption(label: "Delivery", value: "delivery")]
                        ),
                        FormItem(name: "details", label: "Anything else?", type: .textArea, title: "Details"),
                    ]
                ),
                [
                    "content": "Please share a few details.", "message_type": "outgoing", "private": false,
                    "content_type": "form",
                    "content_attributes": [
                        "items": [
                            [
                                "name": "email", "label": "Email", "type": "email", "placeholder": "you@example.com",
                                "required": true,
                            ],
                            [
                                "name": "order_number", "label": "Order number", "type": "text", "required": true,
                                "pattern": "^A-[0-9]{5}$", "pattern_error": "Use the format A-12345",
                            ],
                            [
                                "name": "topic", "label": "Topic", "type": "select", "default": "delivery",
                                "options": [["label": "Delivery", "value": "delivery"]],
                            ],
                            ["name": "details", "label": "Anything else?", "type": "text_area", "title": "Details"],
                        ]
                    ],
                ]
            ),
            (
                .articles([
                    ArticleItem(title: "Returns", description: "How to return", link: "https://help.example/returns"),
                    ArticleItem(title: "Shipping", link: "https://help.example/shipping"),
                ]),
                [
                    "message_type": "outgoing", "private": false, "content_type": "article",
                    "content_attributes": [
                        "items": [
                            ["title": "Returns", "description": "How to return", "link": "https://help.example/returns"],
                            ["title": "Shipping", "link": "https://help.example/shipping"],
                        ]
                    ],
                ]
            ),
            (
                .inputEmail("What is your email?"),
                [
                    "content": "What is your email?", "message_type": "outgoing", "private": false,
                    "content_type": "input_email",
                ]
            ),
            (
                .inputCSAT("Please rate the conversation"),
                [
                    "content": "Please rate the conversation", "message_type": "outgoing", "private": false,
                    "content_type": "input_csat", "content_attributes": ["display_type": "emoji"],
                ]
            ),
        ]
        try await TestChatwootServer.withAPI(respond: .fixture("api-message-create-response")) { api, log in
            for (message, _) in cases {
                _ = try await api.createMessage(message, in: address)
            }
            let bodies = await log.requests.map(\.json)
            #expect(bodies.count == cases.count)
            for (body, (message, expected)) in zip(bodies, cases) {
                #expect(body == expected, "\(message.contentType)")
                // The simulator side can read the same bodies back.
                let decoded = try JSONDecoder().decode(OutgoingMessage.self, from: JSONMutation.data(expected))
                #expect(decoded == message)
            }
        }
    }

    @Test func toggleStatusHandOffAcceptsNullSuccess() async throws {
        try await TestChatwootServer.withAPI(respond: .fixture("api-toggle-status-response")) { api, log in
            let result = try await api.toggleStatus(.open, in: address)
            #expect(result == ToggleStatusResult(success: nil, conversationId: 128, currentStatus: .open))
            let request = try #require(await log.last)
            #expect(request.path == "/api/v1/accounts/1/conversations/128/toggle_status")
            #expect(request.json == ["status": "open"])
        }
    }

    @Test func toggleStatusSendsEveryTargetAndSnoozeTimeInUnixSeconds() async throws {
        try await TestChatwootServer.withAPI(respond: .fixture("api-toggle-status-response")) { api, log in
            _ = try await api.toggleStatus(.resolved, in: address)
            _ = try await api.toggleStatus(.pending, in: address)
            _ = try await api.toggleStatus(.snoozed(until: Date(timeIntervalSince1970: 1_778_670_000.9)), in: address)
            _ = try await api.toggleStatus(.snoozed(until: nil), in: address)
            #expect(
                await log.requests.map(\.json) == [
                    ["status": "resolved"], ["status": "pending"],
                    ["status": "snoozed", "snoozed_until": 1_778_670_000], ["status": "snoozed"],
                ]
            )
        }
    }

    @Test func togglePriorityAndTypingAcceptEmptyResponses() async throws {
        try await TestChatwootServer.withAPI(respond: .always(CannedResponse(.ok))) { api, log in
            try await api.togglePriority(.urgent, in: address)
            try await api.togglePriority(nil, in: address)
            try await api.toggleTyping(on: true, isPrivate: false, in: address)
            try await api.toggleTyping(on: false, isPrivate: true, in: address)
            let requests = await log.requests
            #expect(
                requests.map(\.path) == [
                    "/api/v1/accounts/1/conversations/128/toggle_priority",
                    "/api/v1/accounts/1/conversations/128/toggle_priority",
                    "/api/v1/accounts/1/conversations/128/toggle_typing_status",
                    "/api/v1/accounts/1/conversations/128/toggle_typing_status",
                ]
            )
            #expect(
                requests.map(\.json) == [
                    ["priority": "urgent"], ["priority": nil],
                    ["typing_status": "on", "is_private": false], ["typing_status": "off", "is_private": true],
                ]
            )
        }
    }

    @Test func updateCustomAttributesSendsTheWholeHash() async throws {
        try await TestChatwootServer.withAPI(
            respond: TestResponder { request in
                CannedResponse(.ok, body: String(decoding: request.body, as: UTF8.self))
            }
        ) { api, log in
            let stored = try await api.updateCustomAttributes(["order": "A-10023", "attempts": 2], in: address)
            #expect(stored == ["order": "A-10023", "attempts": 2])
            let request = try #require(await log.last)
            #expect(request.path == "/api/v1/accounts/1/conversations/128/custom_attributes")
            #expect(request.json == ["custom_attributes": ["order": "A-10023", "attempts": 2]])
        }
    }

    @Test func assignSendsEachAssigneeShape() async throws {
        try await TestChatwootServer.withAPI(
            respond: TestResponder { request in
                request.json?["team_id"] != nil
                    ? CannedResponse(.ok, body: #"{"id":3,"name":"Support"}"#) : CannedResponse(.ok, body: "null")
            }
        ) { api, log in
            #expect(try await api.assign(.agent(id: 2), in: address) == .null)
            _ = try await api.assign(.agentBot(id: 5), in: address)
            #expect(try await api.assign(.team(id: 3), in: address) == ["id": 3, "name": "Support"])
            _ = try await api.assign(.unassigned, in: address)
            let requests = await log.requests
            #expect(requests.allSatisfy { $0.path == "/api/v1/accounts/1/conversations/128/assignments" })
            #expect(
                requests.map(\.json) == [
                    ["assignee_id": 2], ["assignee_id": 5, "assignee_type": "AgentBot"], ["team_id": 3],
                    ["assignee_id": nil],
                ]
            )
        }
    }

    @Test func baseURLPathPrefixIsKeptAndTrailingSlashIgnored() async throws {
        try await TestChatwootServer.run(respond: .always(CannedResponse(.ok))) { baseURL, log in
            try await TestChatwootServer.withHTTPClient { client in
                let api = HTTPChatwootAPI(
                    httpClient: client,
                    baseURL: baseURL.appendingPathComponent("chatwoot/"),
                    accessToken: TestChatwootServer.token
                )
                try await api.toggleTyping(on: true, isPrivate: false, in: address)
            }
            #expect(await log.last?.path == "/chatwoot/api/v1/accounts/1/conversations/128/toggle_typing_status")
        }
    }

    // MARK: - Errors

    @Test func wrongTokenIsUnauthorizedWithChatwootsMessage() async throws {
        try await TestChatwootServer.withAPI(token: "wrong", respond: .always(CannedResponse(.ok))) { api, _ in
            let error = await #expect(throws: ChatwootAPIError.self) {
                try await api.toggleTyping(on: true, isPrivate: false, in: address)
            }
            #expect(error?.kind == .unauthorized)
            #expect(error?.status == 401)
            #expect(error?.bodyExcerpt == "Invalid Access Token")
            #expect(error?.isRetryable == false)
            #expect(error?.endpoint == "POST /api/v1/accounts/1/conversations/128/toggle_typing_status")
        }
    }

    @Test func statusesMapToKindsWithBodyExcerpts() async throws {
        let cases: [(CannedResponse, ChatwootAPIError.Kind, String?, Bool)] = [
            (CannedResponse(.notFound, body: #"{"error":"Resource could not be found"}"#), .notFound, "Resource could not be found", false),
            (
                CannedResponse(
                    .unprocessableContent,
                    body: #"{"error":"Validation failed: Content attributes At least one item is required."}"#
                ),
                .unprocessable, "Validation failed: Content attributes At least one item is required.", false
            ),
            (
                CannedResponse(.unprocessableContent, body: #"{"message":"Validation failed","attributes":["priority"]}"#),
                .unprocessable, "Validation failed (attributes: priority)", false
            ),
            (
                CannedResponse(.tooManyRequests, body: "Retry later\n", headers: [.contentType: "text/plain"]),
                .rateLimited, "Retry later", true
            ),
            (CannedResponse(.internalServerError, body: "<html>boom</html>"), .server, "<html>boom</html>", true),
            (CannedResponse(.serviceUnavailable), .server, nil, true),
            (CannedResponse(.forbidden, body: #"{"errors":["Forbidden"]}"#), .otherStatus, "Forbidden", false),
            // The flood guard clears within a minute: the one 422 worth retrying.
            (
                CannedResponse(.unprocessableContent, body: #"{"error":"Validation failed: Too many messages"}"#),
                .unprocessable, "Validation failed: Too many messages", true
            ),
            (CannedResponse(.badGateway, body: "<html>502</html>"), .server, "<html>502</html>", true),
        ]
        for (canned, kind, excerpt, retryable) in cases {
            try await TestChatwootServer.withAPI(respond: .always(canned)) { api, _ in
                let error = await #expect(throws: ChatwootAPIError.self) {
                    _ = try await api.createMessage(.text("hi"), in: address)
                }
                #expect(error?.kind == kind)
                #expect(error?.status == canned.status.code)
                #expect(error?.bodyExcerpt == excerpt)
                #expect(error?.isRetryable == retryable)
            }
        }
    }

    @Test func onlyAnUnansweredCallOrAGatewaysAnswerMayHaveTakenEffect() {
        func error(_ kind: ChatwootAPIError.Kind, _ status: Int?) -> ChatwootAPIError {
            ChatwootAPIError(kind: kind, status: status, endpoint: "POST /api/v1/accounts/1/conversations/128/messages")
        }
        let ambiguous = [error(.timeout, nil), error(.transport, nil), error(.server, 502), error(.server, 504)]
        let clear = [error(.server, 500), error(.server, 503), error(.rateLimited, 429), error(.unprocessable, 422),
                     error(.notFound, 404), error(.unauthorized, 401), error(.invalidResponse, 200)]
        for candidate in ambiguous { #expect(candidate.mayHaveTakenEffect, "\(candidate)") }
        for candidate in clear { #expect(!candidate.mayHaveTakenEffect, "\(candidate)") }
    }

    @Test func retryAfterHeaderIsReported() async throws {
        let canned = CannedResponse(.tooManyRequests, body: "Retry later", headers: [.retryAfter: "30"])
        try await TestChatwootServer.withAPI(respond: .always(canned)) { api, _ in
            let error = await #expect(throws: ChatwootAPIError.self) {
                try await api.togglePriority(.high, in: address)
            }
            #expect(error?.retryAfterSeconds == 30)
        }
    }

    @Test func longErrorBodiesAreCutToTheConfiguredExcerpt() async throws {
        let canned = CannedResponse(.internalServerError, body: String(repeating: "x", count: 10_000))
        let configuration = HTTPChatwootAPI.Configuration(errorExcerptLength: 50)
        try await TestChatwootServer.withAPI(configuration: configuration, respond: .always(canned)) { api, _ in
            let error = await #expect(throws: ChatwootAPIError.self) {
                try await api.togglePriority(.high, in: address)
            }
            #expect(error?.bodyExcerpt == String(repeating: "x", count: 50) + "…")
        }
    }

    @Test func unreadableSuccessResponseIsInvalidResponseAndNotRetryable() async throws {
        try await TestChatwootServer.withAPI(respond: .always(CannedResponse(.ok, body: "<html>"))) { api, _ in
            let error = await #expect(throws: ChatwootAPIError.self) {
                _ = try await api.createMessage(.text("hi"), in: address)
            }
            #expect(error?.kind == .invalidResponse)
            #expect(error?.status == 200)
            #expect(error?.isRetryable == false)
        }
    }

    @Test func slowServerTimesOutAsRetryable() async throws {
        let (release, releaseContinuation) = AsyncStream.makeStream(of: Void.self)
        let configuration = HTTPChatwootAPI.Configuration(requestTimeout: .milliseconds(200))
        try await TestChatwootServer.withAPI(
            configuration: configuration,
            respond: TestResponder { _ in
                for await _ in release {}  // held until the client has given up
                return CannedResponse(.ok)
            }
        ) { api, _ in
            let error = await #expect(throws: ChatwootAPIError.self) {
                try await api.toggleTyping(on: true, isPrivate: false, in: address)
            }
            releaseContinuation.finish()
            #expect(error?.kind == .timeout)
            #expect(error?.status == nil)
            #expect(error?.isRetryable == true)
        }
    }

    @Test func refusedConnectionIsTransportAndRetryable() async throws {
        // A port bound but never listened on refuses connections, and no concurrent test can
        // take it over (a port freed by a stopped server could be reused at once).
        let socketFD = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(socketFD) }
        var address4 = sockaddr_in()
        address4.sin_family = sa_family_t(AF_INET)
        address4.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address4) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socketFD, $0, length) == 0 && getsockname(socketFD, $0, &length) == 0 }
        }
        try #require(bound)
        let closedURL = URL(string: "http://127.0.0.1:\(UInt16(bigEndian: address4.sin_port))")!
        try await TestChatwootServer.withHTTPClient { client in
            let api = HTTPChatwootAPI(
                httpClient: client,
                baseURL: closedURL,
                accessToken: TestChatwootServer.token,
                // A refusal is immediate; the limit only has to outlast a suite that shares two cores.
                configuration: .init(requestTimeout: .seconds(15))
            )
            let error = await #expect(throws: ChatwootAPIError.self) {
                try await api.toggleTyping(on: true, isPrivate: false, in: address)
            }
            #expect(error?.kind == .transport)
            #expect(error?.isRetryable == true)
        }
    }

    /// A server (or a proxy) that sends its response head and then stalls the body: the call
    /// times out like any other slow answer instead of holding the conversation for ever
    /// (AsyncHTTPClient's own deadline ends when the head arrives).
    @Test func aBodyThatStallsAfterTheHeadTimesOut() async throws {
        let server = try RawHTTPServer(answer: "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{")
        defer { server.stop() }
        try await TestChatwootServer.withHTTPClient { client in
            let api = HTTPChatwootAPI(httpClient: client, baseURL: server.url, accessToken: TestChatwootServer.token,
                                      configuration: .init(requestTimeout: .milliseconds(300)))
            // Liveness, not speed: without the time limit the call never returns.
            let outcome = await withTaskGroup(of: ChatwootAPIError?.self) { group in
                group.addTask {
                    do { try await api.toggleTyping(on: true, isPrivate: false, in: address); return nil } catch { return error as? ChatwootAPIError }
                }
                group.addTask { try? await Task.sleep(for: .seconds(20)); return ChatwootAPIError(kind: .transport, endpoint: "still waiting after 20 s") }
                let first = await group.next()!
                group.cancelAll()
                return first
            }
            #expect(outcome?.kind == .timeout, "\(String(describing: outcome)) \(String(describing: outcome?.bodyExcerpt))")
            #expect(outcome?.isRetryable == true)
        }
    }

    /// The bot's client does not follow a redirect: AsyncHTTPClient would carry the
    /// `api_access_token` header to the other host (it drops only `Authorization` and cookies).
    @Test func aRedirectIsNotFollowedWithTheToken() async throws {
        let elsewhere = try RawHTTPServer(answer: "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}")
        defer { elsewhere.stop() }
        let redirecting = try RawHTTPServer(answer: "HTTP/1.1 302 Found\r\nLocation: \(elsewhere.url.absoluteString)/stolen\r\nContent-Length: 0\r\n\r\n")
        defer { redirecting.stop() }
        try await HTTPClient.withHTTPClient(configuration: HTTPExchange.clientConfiguration) { client in
            let api = HTTPChatwootAPI(httpClient: client, baseURL: redirecting.url, accessToken: TestChatwootServer.token,
                                      configuration: .init(requestTimeout: .seconds(5)))
            let error = await #expect(throws: ChatwootAPIError.self) { try await api.toggleTyping(on: true, isPrivate: false, in: address) }
            #expect(error?.status == 302)
        }
        #expect(redirecting.requests.count == 1)
        #expect(elsewhere.requests.isEmpty, "the token went to \(elsewhere.url): \(elsewhere.requests)")
    }

    @Test func tokenNeverAppearsInLogsErrorsOrDescriptions() async throws {
        let recorder = LogRecorder()
        try await TestChatwootServer.withAPI(
            logger: recorder.logger(),
            respond: .always(CannedResponse(.internalServerError, body: #"{"error":"boom"}"#))
        ) { api, _ in
            let error = await #expect(throws: ChatwootAPIError.self) {
                _ = try await api.createMessage(.text("hi"), in: address)
            }
            var dumped = ""
            dump(api, to: &dumped)
            for text in [dumped, String(describing: api), String(reflecting: api), "\(String(describing: error))"] {
                #expect(!text.contains(TestChatwootServer.token))
            }
        }
        #expect(!recorder.all.isEmpty)
        #expect(recorder.all.allSatisfy { !$0.contains(TestChatwootServer.token) })
    }
}

/// A one-connection-at-a-time HTTP server on loopback that reads each request's head and
/// answers `answer`, then keeps the connection open until the client closes it (a response cut
/// short stalls there). It records what it was asked.
final class RawHTTPServer: Sendable {
    let url: URL
    private let listener: Int32
    private final class Log: Sendable { let requests = Mutex<[String]>([]) }
    private let log = Log()
    var requests: [String] { log.requests.withLock { $0 } }

    init(answer: String) throws {
        listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address4 = sockaddr_in()
        address4.sin_family = sa_family_t(AF_INET)
        address4.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let listener = listener
        let listening = withUnsafeMutablePointer(to: &address4) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, length) == 0 && getsockname(listener, $0, &length) == 0 }
        }
        guard listening, listen(listener, 8) == 0 else { throw POSIXError(.EADDRINUSE) }
        url = URL(string: "http://127.0.0.1:\(UInt16(bigEndian: address4.sin_port))")!
        let log = self.log
        Thread {
            while true {
                let connection = accept(listener, nil, nil)
                guard connection >= 0 else { return } // stopped
                var buffer = [UInt8](repeating: 0, count: 8192)
                let count = read(connection, &buffer, buffer.count)
                log.requests.withLock { $0.append(String(decoding: buffer.prefix(max(count, 0)), as: UTF8.self)) }
                let bytes = Array(answer.utf8)
                _ = write(connection, bytes, bytes.count)
                while read(connection, &buffer, buffer.count) > 0 {} // the rest of the request; open until the client closes it
                close(connection)
            }
        }.start()
    }

    func stop() {
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }
}
