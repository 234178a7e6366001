import Chatwoot
import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import JSONScan
import NIOCore

/// The pages that show customer data (audit timelines, summaries). Implemented by the bot
/// runtime, which knows the projections and the ledger; the server only guards and serves them.
public protocol AdminPages: Sendable {
    /// The list of recent conversations (HTML).
    func conversationList() async throws -> String
    /// One conversation's timeline (HTML); nil when it is not in the ledger.
    func conversation(id: Int, account: Int?) async throws -> String?
    /// One conversation's summary (JSON); nil when it is not in the ledger.
    func summary(id: Int, account: Int?) async throws -> JSONValue?
}

/// Thrown by ``AdminPages`` when a conversation id exists in several accounts and the request
/// named none: answered 400 with the message, not 404 ("not in the ledger" would be wrong).
public struct AdminPagesAmbiguity: Error, Sendable {
    public var message: String
    public init(message: String) { self.message = message }
}

/// `LEDGERBOT_ADMIN_TOKEN`: required by every page with customer data. Compared in constant time.
public struct AdminToken: Sendable {
    /// SHA-256 of the token: candidates are compared digest to digest, in constant time and at
    /// one length, so the time a comparison takes does not reveal the token's length either.
    private let digest: [UInt8]

    public init(_ value: String) { digest = Array(SHA256.hash(data: Array(value.utf8))) }

    public func matches(_ candidate: String) -> Bool { ConstantTime.equals(digest, Array(SHA256.hash(data: Array(candidate.utf8)))) }

    /// The name of the cookie set after a valid `?token=` so links on the page keep working.
    static let cookie = "ledgerbot_admin"

    /// Accepts `Authorization: Bearer T`, `?token=T` (sets the cookie) or the cookie.
    func authorize(_ request: Request) -> (ok: Bool, setCookie: Bool) {
        // The scheme's name is case-insensitive (RFC 9110 §11.1).
        if let header = request.headers[.authorization], header.prefix(7).lowercased() == "bearer ", matches(String(header.dropFirst(7))) { return (true, false) }
        if let token = request.uri.queryParameters.get("token"), matches(token) { return (true, true) }
        for cookies in request.headers[values: .cookie] {
            for pair in cookies.split(separator: ";") {
                let parts = pair.trimmingCharacters(in: .whitespaces).split(separator: "=", maxSplits: 1)
                if parts.count == 2, parts[0] == Self.cookie, matches(String(parts[1])) { return (true, false) }
            }
        }
        return (false, false)
    }
}

/// `GET /conversations`, `GET /conversations/{id}`, `GET /api/conversations/{id}/summary`,
/// `GET /dashboard-app` — all behind `LEDGERBOT_ADMIN_TOKEN`.
struct AdminController: Sendable {
    let pages: (any AdminPages)?
    let token: AdminToken?

    func register(on router: Router<BasicRequestContext>) {
        router.get("/conversations") { request, _ in try await guarded(request) { try await $0.conversationList() }.map { html($0, request) } ?? notFound() }
        router.get("/conversations/:id") { request, context in
            guard let id = context.parameters.get("id", as: Int.self) else { return badRequest("the conversation id must be a number") }
            guard let account = Self.account(request) else { return badRequest("account must be a number") }
            return try await guarded(request) { try await $0.conversation(id: id, account: account) }.map { html($0, request) }
                ?? notFound("conversation \(id) is not in the ledger")
        }
        router.get("/dashboard-app") { request, _ in
            _ = try await guarded(request) { _ in true }
            return html(DashboardApp.html, request, policy: DashboardApp.contentSecurityPolicy)
        }
        router.get("/api/conversations/:id/summary") { request, context in
            guard let id = context.parameters.get("id", as: Int.self) else { return badRequest("the conversation id must be a number", json: true) }
            guard let account = Self.account(request) else { return badRequest("account must be a number", json: true) }
            let summary = try await guarded(request, json: true) { try await $0.summary(id: id, account: account) }
            guard let summary else { return notFound("conversation \(id) is not in the ledger", json: true) }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            return Response(status: .ok, headers: [.contentType: "application/json", .cacheControl: "no-store"],
                            body: .init(byteBuffer: ByteBuffer(bytes: try encoder.encode(summary))))
        }
    }

    /// `?account=N`: `.some(nil)` when absent, nil when present but not a number.
    private static func account(_ request: Request) -> Int?? {
        guard let text = request.uri.queryParameters.get("account") else { return .some(nil) }
        return Int(text).map { .some($0) } ?? nil
    }

    /// A refusal as a plain page (an agent may see it inside Chatwoot's iframe), or as JSON
    /// `{"error": …}` for the API.
    private struct Refused: Error, HTTPResponseError {
        let status: HTTPResponse.Status
        let message: String
        var json = false

        func response(from request: Request, context: some RequestContext) throws -> Response {
            var response = AdminController.message(status, message, json: json)
            if status == .unauthorized { response.headers[.wwwAuthenticate] = "Bearer realm=\"ledgerbot\"" }
            return response
        }
    }

    /// Runs `body` only for an authorised request; a 401/404 otherwise.
    private func guarded<T>(_ request: Request, json: Bool = false, _ body: (any AdminPages) async throws -> T?) async throws -> T? {
        guard let pages, let token else {
            throw Refused(status: .notFound, message: "Pages with customer data are disabled: set LEDGERBOT_ADMIN_TOKEN to enable them.", json: json)
        }
        guard token.authorize(request).ok else {
            throw Refused(status: .unauthorized,
                          message: "This page shows customer data: send Authorization: Bearer <LEDGERBOT_ADMIN_TOKEN>, or open it with ?token=<LEDGERBOT_ADMIN_TOKEN>.",
                          json: json)
        }
        do {
            return try await body(pages)
        } catch let ambiguity as AdminPagesAmbiguity {
            throw Refused(status: .badRequest, message: ambiguity.message, json: json)
        }
    }

    /// An error answer: plain text for the pages, `{"error": …}` for the API.
    static func message(_ status: HTTPResponse.Status, _ text: String, json: Bool) -> Response {
        let body = json ? JSONWriter.object([("error", .string(text))]) + [UInt8(ascii: "\n")] : Array((text + "\n").utf8)
        return Response(status: status, headers: [.contentType: json ? "application/json" : "text/plain; charset=utf-8", .cacheControl: "no-store"],
                        body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }

    private func html(_ text: String, _ request: Request,
                      policy: String = "default-src 'none'; style-src 'unsafe-inline'; form-action 'none'; base-uri 'none'; frame-ancestors *") -> Response {
        var headers: HTTPFields = [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"]
        headers[.contentSecurityPolicy] = policy
        if let token, token.authorize(request).setCookie, let value = request.uri.queryParameters.get("token") {
            headers[.setCookie] = "\(AdminToken.cookie)=\(value); HttpOnly; SameSite=None; Secure; Path=/"
        }
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    private func notFound(_ message: String = "not found", json: Bool = false) -> Response {
        Self.message(.notFound, message, json: json)
    }

    private func badRequest(_ message: String, json: Bool = false) -> Response {
        Self.message(.badRequest, message, json: json)
    }
}
