import Chatwoot
import Foundation

/// What the simulated Chatwoot answers to a REST call, with Chatwoot's error bodies (docs/chatwoot-protocol.md §7.5).
struct RESTResponse: Sendable, Hashable {
    var status: Int
    /// `nil` for an empty body (`head :ok`).
    var json: JSONValue?
    /// A plain-text body, used instead of `json` when set.
    var text: String?

    static func ok(_ json: JSONValue) -> Self { Self(status: 200, json: json) }

    /// 200 with an empty body.
    static var empty: Self { Self(status: 200) }

    /// Devise's answer when no token header is sent at all.
    static var signInRequired: Self {
        Self(status: 401, json: ["errors": ["You need to sign in or sign up before continuing."]])
    }

    static var invalidAccessToken: Self { Self(status: 401, json: ["error": "Invalid Access Token"]) }

    static var notAuthorizedForBots: Self {
        Self(status: 401, json: ["error": "Access to this endpoint is not authorized for bots"])
    }

    static var botNotAuthorizedForAccount: Self {
        Self(status: 401, json: ["error": "Bot is not authorized to access this account"])
    }

    static var notFound: Self { Self(status: 404, json: ["error": "Resource could not be found"]) }

    /// Rails' answer to a body that is not JSON (`ActionDispatch::Http::Parameters::ParseError`).
    static var badRequest: Self { Self(status: 400, json: ["status": 400, "error": "Bad Request"]) }

    /// Rails' answer to an unrescued exception, for example an invalid enum value.
    static var internalServerError: Self {
        Self(status: 500, json: ["status": 500, "error": "Internal Server Error"])
    }

    /// The message-create failure body: `{"error": "<message>"}` with 422.
    static func couldNotCreate(_ message: String) -> Self {
        Self(status: 422, json: ["error": .string(message)])
    }

    /// The body bytes, JSON with sorted keys.
    var body: Data {
        if let text { return Data(text.utf8) }
        guard let json else { return Data() }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding a JSONValue cannot fail: it holds only JSON-representable values (a non-finite
        // double is the one exception, and the simulator never stores one).
        return (try? encoder.encode(json)) ?? Data("null".utf8)
    }

    var contentType: String {
        text != nil ? "text/plain; charset=utf-8" : "application/json; charset=utf-8"
    }
}
