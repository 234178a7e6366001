import Chatwoot

/// The sample backends' answers: JSON bodies, errors as `{"error":"<code>"}`.
enum BackendAnswer {
    static func ok(_ json: JSONValue) -> RESTResponse { RESTResponse(status: 200, json: json) }

    static func created(_ json: JSONValue) -> RESTResponse { RESTResponse(status: 201, json: json) }

    static var notFound: RESTResponse { RESTResponse(status: 404, json: ["error": "not_found"]) }

    static var methodNotAllowed: RESTResponse { RESTResponse(status: 405, json: ["error": "method_not_allowed"]) }

    static func badRequest(_ message: String) -> RESTResponse {
        RESTResponse(status: 400, json: ["error": "bad_request", "message": .string(message)])
    }

    static func badRequest(_ invalid: InvalidInput) -> RESTResponse { badRequest(invalid.message) }

    /// The room asked for is not offered for the stay.
    static var notAvailable: RESTResponse { RESTResponse(status: 409, json: ["error": "not_available"]) }

    /// An `Idempotency-Key` sent again with other fields.
    static var idempotencyKeyReused: RESTResponse {
        RESTResponse(
            status: 422,
            json: [
                "error": "idempotency_key_reused",
                "message": "This Idempotency-Key was used for a booking with other fields",
            ]
        )
    }

    /// The answer to an injected `.status(status, body: nil)`.
    static func injected(status: Int) -> RESTResponse {
        let code: JSONValue =
            switch status {
            case 429: "rate_limited"
            case 503: "service_unavailable"
            case 500...599: "server_error"
            default: "injected_failure"
            }
        return RESTResponse(status: status, json: ["error": code])
    }
}

/// A request parameter or body field the backends reject, with the 400 message.
struct InvalidInput: Error, Hashable {
    var message: String

    init(_ message: String) {
        self.message = message
    }
}
