import Chatwoot
import Foundation
import HTTPTypes

/// Routes the sample backends' calls (see ``SampleBackends`` for the endpoints).
struct BackendEndpoints: SimulatedEndpoints {
    let desk: BookingDesk

    func record(_ call: IncomingCall) async -> RecordedRequest {
        RecordedRequest(call)
    }

    func answer(_ call: IncomingCall) async -> RESTResponse {
        let segments = call.path.split(separator: "/").map { $0.removingPercentEncoding ?? String($0) }
        let query = QueryParameters(call.query)
        let isGet = call.method == "GET"
        switch segments {
        case ["healthz"]:
            return isGet ? BackendAnswer.ok(["status": "ok"]) : BackendAnswer.methodNotAllowed
        case ["customers"]:
            return isGet ? Self.customer(query) : BackendAnswer.methodNotAllowed
        case _ where segments.count == 2 && segments[0] == "orders":
            return isGet ? Self.order(segments[1]) : BackendAnswer.methodNotAllowed
        case ["articles"]:
            return isGet ? Self.articles(query) : BackendAnswer.methodNotAllowed
        case ["availability"]:
            return isGet ? Self.availability(query) : BackendAnswer.methodNotAllowed
        case ["bookings"]:
            guard call.method == "POST" else { return BackendAnswer.methodNotAllowed }
            return desk.book(body: call.body, idempotencyKey: call.headers[HTTPField.Name("Idempotency-Key")!])
        default:
            return BackendAnswer.notFound
        }
    }

    func injectedAnswer(status: Int) -> RESTResponse {
        BackendAnswer.injected(status: status)
    }

    /// `GET /customers?email=E[&order=O]`: with `order`, only the customer who owns that order.
    private static func customer(_ query: QueryParameters) -> RESTResponse {
        guard let email = query["email"], !email.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            return BackendAnswer.badRequest("The email parameter is required")
        }
        guard let customer = SampleCatalog.customer(email: email) else { return BackendAnswer.notFound }
        guard let order = query["order"] else { return BackendAnswer.ok(customer.json(verified: false)) }
        // An empty order number proves nothing: it matches no order.
        let key = SampleCatalog.orderKey(order)
        guard !key.isEmpty, customer.orders.contains(where: { SampleCatalog.orderKey($0) == key }) else {
            return BackendAnswer.notFound
        }
        return BackendAnswer.ok(customer.json(verified: true))
    }

    /// `GET /orders/{number}`.
    private static func order(_ number: String) -> RESTResponse {
        SampleCatalog.order(number: number).map { BackendAnswer.ok($0.json) } ?? BackendAnswer.notFound
    }

    /// `GET /articles?topic=T`: an unknown topic has no items.
    private static func articles(_ query: QueryParameters) -> RESTResponse {
        guard let topic = query["topic"]?.trimmingCharacters(in: .whitespacesAndNewlines).lowercased(), !topic.isEmpty
        else {
            return BackendAnswer.badRequest("The topic parameter is required")
        }
        let items = SampleCatalog.articles[topic, default: []].map { $0.json(topic: topic) }
        return BackendAnswer.ok(["topic": .string(topic), "items": .array(items)])
    }

    /// `GET /availability?checkin=…&checkout=…&guests=N`.
    private static func availability(_ query: QueryParameters) -> RESTResponse {
        do throws(InvalidInput) {
            let stay = try Stay(checkin: query["checkin"], checkout: query["checkout"], guests: query["guests"])
            return BackendAnswer.ok(stay.availabilityJSON)
        } catch {
            return BackendAnswer.badRequest(error)
        }
    }
}

/// The parameters of a query string, decoded as HTML forms encode them (`+` is a space). The first
/// of repeated names wins.
struct QueryParameters {
    private var values: [String: String] = [:]

    init(_ query: String?) {
        for pair in (query ?? "").split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = Self.decode(parts[0])
            if values[name] == nil {
                values[name] = parts.count > 1 ? Self.decode(parts[1]) : ""
            }
        }
    }

    subscript(name: String) -> String? { values[name] }

    private static func decode(_ text: Substring) -> String {
        let spaced = text.replacingOccurrences(of: "+", with: " ")
        return spaced.removingPercentEncoding ?? spaced
    }
}
