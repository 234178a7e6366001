import AsyncHTTPClient
import Chatwoot
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import ServiceLifecycle
import Simulator
import Testing

/// The sample backends over real HTTP on loopback.
struct SampleBackendsTests {
    // MARK: - Customer directory

    @Test func customerWhoOwnsTheOrderIsFoundAndVerified() async throws {
        try await withBackends { backends in
            let answer = try await backends.get("/customers?email=%20Maria%40Example.COM%20&order=ab10002")
            #expect(answer.status == 200)
            #expect(answer.contentType?.hasPrefix("application/json") == true)
            #expect(
                answer.json == ["id": 7, "name": "Maria Silva", "email": "maria@example.com", "tier": "gold", "verified": true]
            )
        }
    }

    @Test func customerWithSomeoneElsesOrderIsNotFound() async throws {
        try await withBackends { backends in
            for path in [
                "/customers?email=maria@example.com&order=AB-20001",
                "/customers?email=alex@example.com&order=AB-10001",
                "/customers?email=maria@example.com&order=AB-99999",
                "/customers?email=maria@example.com&order=",
                "/customers?email=nobody@example.com&order=AB-10001",
            ] {
                let answer = try await backends.get(path)
                #expect(answer.status == 404, "\(path)")
                #expect(answer.json == ["error": "not_found"], "\(path)")
            }
        }
    }

    @Test func customerByEmailAloneIsNotVerified() async throws {
        try await withBackends { backends in
            let joao = try await backends.get("/customers?email=JOAO@example.com")
            #expect(joao.status == 200)
            #expect(joao.json?["id"] == 8)
            #expect(joao.json?["verified"] == false)
            let alex = try await backends.get("/customers?email=alex%40example.com")
            #expect(alex.json?["name"] == "Alex Morgan")
            #expect(try await backends.get("/customers?email=ghost@example.com").status == 404)
        }
    }

    @Test func customerLookupWithoutEmailIsABadRequest() async throws {
        try await withBackends { backends in
            for path in ["/customers", "/customers?order=AB-10001", "/customers?email=%20"] {
                let answer = try await backends.get(path)
                #expect(answer.status == 400, "\(path)")
                #expect(answer.json?["error"] == "bad_request", "\(path)")
            }
        }
    }

    // MARK: - Orders

    @Test func orderIsFoundInAnyCaseWithOrWithoutItsDash() async throws {
        try await withBackends { backends in
            let expected: JSONValue = [
                "number": "AB-10001", "status": "shipped", "carrier": "UPS", "tracking": "1Z999", "eta": "2026-12-02",
                "items": [["name": "Blue kettle", "qty": 1]], "customer_email": "maria@example.com",
            ]
            for number in ["AB-10001", "ab10001", "ab-10001", "AB10001"] {
                let answer = try await backends.get("/orders/\(number)")
                #expect(answer.status == 200, "\(number)")
                #expect(answer.json == expected, "\(number)")
            }
        }
    }

    @Test func ordersHaveTheirOwnStatuses() async throws {
        try await withBackends { backends in
            let processing = try await backends.get("/orders/AB-10002")
            #expect(processing.json?["status"] == "processing")
            #expect(processing.json?["eta"] == "2026-12-09")
            #expect(processing.json?["tracking"] == .null)
            let delivered = try await backends.get("/orders/ab-20001")
            #expect(delivered.json?["status"] == "delivered")
            #expect(delivered.json?["customer_email"] == "joao@example.com")
        }
    }

    @Test func unknownOrderIsNotFound() async throws {
        try await withBackends { backends in
            for path in ["/orders/AB-30001", "/orders/-", "/orders", "/orders/AB-10001/items"] {
                let answer = try await backends.get(path)
                #expect(answer.status == 404, "\(path)")
                #expect(answer.json == ["error": "not_found"], "\(path)")
            }
        }
    }

    // MARK: - Content feed

    @Test func eachTopicHasThreeArticles() async throws {
        try await withBackends { backends in
            for topic in ["technology", "sports", "business"] {
                let answer = try await backends.get("/articles?topic=\(topic)")
                #expect(answer.status == 200)
                #expect(answer.json?["topic"] == .string(topic))
                let items = try #require(answer.json?["items"]?.arrayValue)
                #expect(items.count == 3)
                for item in items {
                    #expect(item["title"]?.stringValue?.isEmpty == false)
                    #expect(item["summary"]?.stringValue?.isEmpty == false)
                    #expect(item["url"]?.stringValue?.hasPrefix("https://news.example.com/") == true)
                    #expect(item["image"]?.stringValue?.hasPrefix("https://news.example.com/img/") == true)
                    #expect(item["image"]?.stringValue?.hasSuffix(".jpg") == true)
                }
            }
            // Deterministic: the same answer every time.
            let first = try await backends.get("/articles?topic=Sports")
            #expect(first.text == (try await backends.get("/articles?topic=sports")).text)
        }
    }

    @Test func unknownTopicHasNoArticlesAndNoTopicIsABadRequest() async throws {
        try await withBackends { backends in
            let unknown = try await backends.get("/articles?topic=gardening")
            #expect(unknown.status == 200)
            #expect(unknown.json == ["topic": "gardening", "items": []])
            let missing = try await backends.get("/articles")
            #expect(missing.status == 400)
            #expect(missing.json?["error"] == "bad_request")
        }
    }

    // MARK: - Hotel availability

    @Test func availabilityOffersBothRoomsForASmallParty() async throws {
        try await withBackends { backends in
            let answer = try await backends.get("/availability?checkin=2026-12-10&checkout=2026-12-13&guests=2")
            #expect(answer.status == 200)
            #expect(
                answer.json == [
                    "available": true, "nights": 3,
                    "rooms": [
                        ["type": "standard", "price": 120, "currency": "USD"],
                        ["type": "deluxe", "price": 190, "currency": "USD"],
                    ],
                ]
            )
        }
    }

    @Test func availabilityForMoreThanFourGuestsIsDeluxeOnly() async throws {
        try await withBackends { backends in
            let answer = try await backends.get("/availability?checkin=2026-11-30&checkout=2026-12-01&guests=5")
            #expect(answer.json?["nights"] == 1)
            #expect(answer.json?["rooms"] == [["type": "deluxe", "price": 190, "currency": "USD"]])
        }
    }

    @Test func christmasNightsAreFullyBooked() async throws {
        try await withBackends { backends in
            for (checkin, checkout) in [("2026-12-23", "2026-12-25"), ("2026-12-26", "2026-12-28"), ("2026-12-20", "2026-12-31")] {
                let answer = try await backends.get("/availability?checkin=\(checkin)&checkout=\(checkout)&guests=2")
                #expect(answer.status == 200)
                #expect(answer.json?["available"] == false, "\(checkin)…\(checkout)")
                #expect(answer.json?["rooms"] == [], "\(checkin)…\(checkout)")
            }
            // Leaving on the 24th or arriving on the 27th misses those nights.
            for (checkin, checkout) in [("2026-12-22", "2026-12-24"), ("2026-12-27", "2026-12-29"), ("2025-12-24", "2025-12-26")] {
                let answer = try await backends.get("/availability?checkin=\(checkin)&checkout=\(checkout)&guests=2")
                #expect(answer.json?["available"] == true, "\(checkin)…\(checkout)")
            }
        }
    }

    @Test func availabilityRejectsBadDatesAndPartySizes() async throws {
        try await withBackends { backends in
            for query in [
                "checkin=2026-12-10&checkout=2026-12-10&guests=2",  // checkout not after checkin
                "checkin=2026-12-12&checkout=2026-12-10&guests=2",
                "checkin=2026-02-30&checkout=2026-03-02&guests=2",  // no such day
                "checkin=10/12/2026&checkout=2026-12-13&guests=2",
                "checkin=tomorrow&checkout=2026-12-13&guests=2",
                "checkout=2026-12-13&guests=2",
                "checkin=2026-12-10&checkout=2026-12-13&guests=0",
                "checkin=2026-12-10&checkout=2026-12-13&guests=7",
                "checkin=2026-12-10&checkout=2026-12-13&guests=two",
                "checkin=2026-12-10&checkout=2026-12-13",
            ] {
                let answer = try await backends.get("/availability?\(query)")
                #expect(answer.status == 400, "\(query)")
                #expect(answer.json?["error"] == "bad_request", "\(query)")
                #expect(answer.json?["message"]?.stringValue?.isEmpty == false, "\(query)")
            }
            #expect(try await backends.get("/availability?checkin=2028-02-28&checkout=2028-03-01&guests=6").json?["nights"] == 2)
        }
    }

    // MARK: - Bookings

    @Test func sameIdempotencyKeyBooksOnce() async throws {
        try await withBackends { backends in
            let first = try await backends.book(Self.booking, key: "effect-41")
            #expect(first.status == 201)
            #expect(
                first.json == [
                    "reference": "BK-0001", "status": "confirmed", "room": "deluxe", "checkin": "2026-12-10",
                    "checkout": "2026-12-12", "guests": 2, "name": "Maria Silva", "email": "maria@example.com",
                    "nights": 2, "total": 380, "currency": "USD",
                ]
            )
            // The bot resends after a crash: same answer, no second booking.
            let resent = try await backends.book(Self.booking, key: "effect-41")
            #expect(resent.status == 200)
            #expect(resent.json == first.json)
            #expect(backends.bookings.count == 1)

            let other = try await backends.book(Self.booking, key: "effect-42")
            #expect(other.status == 201)
            #expect(other.json?["reference"] == "BK-0002")
            #expect(backends.bookings.map(\.reference) == ["BK-0001", "BK-0002"])
            #expect(backends.bookings.map(\.idempotencyKey) == ["effect-41", "effect-42"])
            #expect(backends.bookings[0].total == 380)
        }
    }

    @Test func concurrentResendsBookOnce() async throws {
        try await withBackends { backends in
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<8 {
                    group.addTask { try await backends.book(Self.booking, key: "same").status }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses.sorted() == [200, 200, 200, 200, 200, 200, 200, 201])
            #expect(backends.bookings.count == 1)
        }
    }

    @Test func reusedKeyWithOtherFieldsIsRejected() async throws {
        try await withBackends { backends in
            _ = try await backends.book(Self.booking, key: "k1")
            let changed = Self.booking.replacingOccurrences(of: "\"guests\":2", with: "\"guests\":\"3\"")
            let answer = try await backends.book(changed, key: "k1")
            #expect(answer.status == 422)
            #expect(answer.json?["error"] == "idempotency_key_reused")
            #expect(backends.bookings.count == 1)
        }
    }

    @Test func bookingWithoutIdempotencyKeyIsABadRequest() async throws {
        try await withBackends { backends in
            for key in [nil, " "] as [String?] {
                let answer = try await backends.book(Self.booking, key: key)
                #expect(answer.status == 400)
                #expect(answer.json?["error"] == "bad_request")
            }
            #expect(backends.bookings.isEmpty)
        }
    }

    @Test func malformedBookingsAreBadRequestsNeverServerErrors() async throws {
        try await withBackends { backends in
            for body in [
                "",
                "not json",
                "[1,2]",
                #"{"room":"deluxe""#,
                #"{"room":"deluxe","checkin":"2026-12-10","checkout":"2026-12-12","guests":2,"name":"Maria"}"#,
                #"{"room":"suite","checkin":"2026-12-10","checkout":"2026-12-12","guests":2,"name":"M","email":"m@x.com"}"#,
                #"{"room":"deluxe","checkin":"2026-12-12","checkout":"2026-12-10","guests":2,"name":"M","email":"m@x.com"}"#,
                #"{"room":"deluxe","checkin":"2026-12-10","checkout":"2026-12-12","guests":9,"name":"M","email":"m@x.com"}"#,
                #"{"room":"deluxe","checkin":"2026-12-10","checkout":"2026-12-12","guests":true,"name":"M","email":"m@x.com"}"#,
                #"{"room":"deluxe","checkin":"2026-12-10","checkout":"2026-12-12","guests":2,"name":" ","email":"m@x.com"}"#,
                #"{"room":"deluxe","checkin":"2026-12-10","checkout":"2026-12-12","guests":2,"name":"M","email":42}"#,
            ] {
                let answer = try await backends.book(body, key: "bad-\(body.hashValue)")
                #expect(answer.status == 400, "\(body)")
                #expect(answer.json?["error"] == "bad_request", "\(body)")
            }
            #expect(backends.bookings.isEmpty)
            // A corrected resend under the same key books normally.
            let key = "fixed"
            #expect(try await backends.book("{", key: key).status == 400)
            #expect(try await backends.book(Self.booking, key: key).status == 201)
        }
    }

    @Test func unavailableRoomIsAConflict() async throws {
        try await withBackends { backends in
            let christmas = Self.booking.replacingOccurrences(of: "2026-12-10", with: "2026-12-24")
                .replacingOccurrences(of: "2026-12-12", with: "2026-12-26")
            #expect(try await backends.book(christmas, key: "xmas").status == 409)
            let crowdedStandard = #"{"room":"standard","checkin":"2026-12-10","checkout":"2026-12-12","guests":5,"name":"M","email":"m@x.com"}"#
            let answer = try await backends.book(crowdedStandard, key: "crowd")
            #expect(answer.status == 409)
            #expect(answer.json == ["error": "not_available"])
            #expect(backends.bookings.isEmpty)
        }
    }

    // MARK: - Plumbing

    @Test func healthAndUnknownRoutes() async throws {
        try await withBackends { backends in
            #expect(try await backends.get("/healthz").status == 200)
            let unknown = try await backends.get("/nothing-here")
            #expect(unknown.status == 404)
            #expect(unknown.json == ["error": "not_found"])
            #expect(try await backends.call(.DELETE, "/orders/AB-10001").status == 405)
            #expect(try await backends.call(.GET, "/bookings").status == 405)
        }
    }

    @Test func injectedFailureAnswersThenTheNextCallSucceeds() async throws {
        try await withBackends { backends in
            backends.failNext(pathMatching: "/orders", with: .status(503))
            #expect(backends.pendingFailureCount == 1)
            let failed = try await backends.get("/orders/AB-10001")
            #expect(failed.status == 503)
            #expect(failed.json == ["error": "service_unavailable"])
            let retried = try await backends.get("/orders/AB-10001")
            #expect(retried.status == 200)
            #expect(backends.requests.map(\.responseStatus) == [503, 200])
            #expect(backends.requests.map(\.injectedFailure) == [.status(503), nil])
        }
    }

    @Test func injectedFailureOfABookingBooksNothing() async throws {
        try await withBackends { backends in
            backends.failNext(pathMatching: "/bookings", method: "POST", with: .status(500, body: #"{"error":"db_down"}"#))
            backends.failNext(pathMatching: "/bookings", with: .closeConnection)
            let failed = try await backends.book(Self.booking, key: "k")
            #expect(failed.status == 500)
            #expect(failed.json == ["error": "db_down"])
            await #expect(throws: (any Error).self) { _ = try await backends.book(Self.booking, key: "k") }
            #expect(backends.bookings.isEmpty)
            #expect(try await backends.book(Self.booking, key: "k").status == 201)
            #expect(backends.requests.last?.responseStatus == 201)
        }
    }

    @Test func slowBookingTakesEffectAlthoughTheClientGaveUp() async throws {
        try await withBackends { backends in
            backends.failNext(pathMatching: "/bookings", with: .slowResponse(.seconds(30)))
            await #expect(throws: (any Error).self) {
                _ = try await backends.book(Self.booking, key: "slow", timeout: .milliseconds(300))
            }
            // The booking is made although the client gave up (on a busy machine the handler may
            // run only after the client's deadline, so wait for it, within bounds).
            let deadline = ContinuousClock.now + .seconds(30)
            while backends.bookings.isEmpty && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
            #expect(backends.bookings.count == 1)
            // The resend after the timeout gets the booking already made.
            let resent = try await backends.book(Self.booking, key: "slow")
            #expect(resent.status == 200)
            #expect(resent.json?["reference"] == "BK-0001")
        }
    }

    @Test func requestsAreRecordedWithQueryHeadersAndBody() async throws {
        try await withBackends { backends in
            _ = try await backends.get("/customers?email=maria%40example.com&order=AB-10001")
            _ = try await backends.book(Self.booking, key: "rec-1")
            let recorded = backends.requests
            #expect(recorded.map(\.sequence) == [1, 2])
            #expect(recorded[0].method == "GET")
            #expect(recorded[0].path == "/customers")
            #expect(recorded[0].pathWithQuery == "/customers?email=maria%40example.com&order=AB-10001")
            #expect(recorded[0].responseStatus == 200)
            #expect(recorded[1].method == "POST")
            #expect(recorded[1].pathWithQuery == "/bookings")
            #expect(recorded[1].header("idempotency-key") == "rec-1")
            #expect(recorded[1].headers["idempotency-key"] == "rec-1")
            #expect(recorded[1].contentType == "application/json")
            #expect(recorded[1].json?["name"] == "Maria Silva")
            #expect(String(decoding: recorded[1].body, as: UTF8.self) == Self.booking)
            #expect(recorded[1].responseStatus == 201)
        }
    }

    @Test func chatwootRecordsHeadersWithoutTheToken() async throws {
        try await withHarness { harness in
            _ = try await harness.call(
                .GET, "/api/v1/profile",
                headers: [("api_access_token", harness.chatwoot.accessToken), ("X-Trace", "a"), ("x-trace", "b")]
            )
            let recorded = try #require(harness.chatwoot.requests.last)
            #expect(recorded.accessTokenValid)
            #expect(recorded.header("API_ACCESS_TOKEN") == "***")
            #expect(recorded.headers["x-trace"] == "a, b")
            #expect(!recorded.headers.values.contains { $0.contains(harness.chatwoot.accessToken) })
        }
    }

    @Test func runsAsAServiceAndSurvivesAnOutage() async throws {
        let logger = Logger(label: "SampleBackendsTests", factory: { _ in SwiftLogNoOpLogHandler() })
        let backends = SampleBackends(logger: logger)
        let group = ServiceGroup(configuration: .init(services: [backends], logger: logger))
        // A refused connection fails at once instead of being retried until the connect timeout.
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool.retryConnectionEstablishment = false
        let httpClient = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
        let client = BackendsClient(backends: backends, httpClient: httpClient)
        do {
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await group.run() }
                let url = try await backends.ready()
                #expect(url == backends.baseURL)
                #expect(url.hasPrefix("http://127.0.0.1:"))
                #expect(try await client.book(Self.booking, key: "a").status == 201)
                await backends.stopServer()
                #expect(!backends.isServerRunning)
                await #expect(throws: (any Error).self) { _ = try await client.get("/healthz") }
                #expect(try await backends.restartServer() == url)
                // State survives the outage.
                #expect(try await client.book(Self.booking, key: "a").status == 200)
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
            }
        } catch {
            try await httpClient.shutdown()
            throw error
        }
        try await httpClient.shutdown()
        #expect(!backends.isServerRunning)
        #expect(backends.bookings.count == 1)
    }

    @Test func portInUseFailsTheStart() async throws {
        try await SampleBackends.withRunning { first in
            let port = try #require(Int(first.baseURL.split(separator: ":").last ?? ""))
            do {
                try await SampleBackends.withRunning(configuration: .init(port: port)) { _ in
                    Issue.record("The second backends should not start")
                }
            } catch let error as SimulatorError {
                #expect(error.code == .serverNotRunning)
            }
        }
    }

    private static let booking =
        #"{"room":"deluxe","checkin":"2026-12-10","checkout":"2026-12-12","guests":2,"name":"Maria Silva","email":"maria@example.com"}"#
}

// MARK: - Support

/// An answer of the backends.
private struct BackendResponse {
    var status: Int
    var contentType: String?
    var text: String
    var json: JSONValue? { try? JSONDecoder().decode(JSONValue.self, from: Data(text.utf8)) }
}

/// Raw HTTP calls to running backends.
private struct BackendsClient {
    let backends: SampleBackends
    let httpClient: HTTPClient

    func get(_ path: String) async throws -> BackendResponse {
        try await call(.GET, path)
    }

    /// `POST /bookings` with `body` and, unless `nil`, an `Idempotency-Key`.
    func book(_ body: String, key: String?, timeout: TimeAmount = .seconds(10)) async throws -> BackendResponse {
        try await call(.POST, "/bookings", body: body, headers: key.map { [("Idempotency-Key", $0)] } ?? [], timeout: timeout)
    }

    func call(
        _ method: HTTPMethod,
        _ path: String,
        body: String? = nil,
        headers: [(String, String)] = [],
        timeout: TimeAmount = .seconds(10)
    ) async throws -> BackendResponse {
        var request = HTTPClientRequest(url: backends.baseURL + path)
        request.method = method
        for (name, value) in headers {
            request.headers.add(name: name, value: value)
        }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: body))
        }
        let response = try await httpClient.execute(request, timeout: timeout)
        let bytes = try await response.body.collect(upTo: 1 << 20)
        return BackendResponse(
            status: Int(response.status.code),
            contentType: response.headers.first(name: "Content-Type"),
            text: String(decoding: bytes.readableBytesView, as: UTF8.self)
        )
    }
}

/// Runs the backends and a client for them around `body`.
private func withBackends(_ body: (BackendsClient) async throws -> Void) async throws {
    try await SampleBackends.withRunning { backends in
        try await HTTPClient.withHTTPClient { httpClient in
            try await body(BackendsClient(backends: backends, httpClient: httpClient))
        }
    }
}

extension BackendsClient {
    var bookings: [SampleBooking] { backends.bookings }
    var requests: [RecordedRequest] { backends.requests }
    var pendingFailureCount: Int { backends.pendingFailureCount }

    func failNext(_ count: Int = 1, pathMatching: String, method: String? = nil, with failure: InjectedFailure) {
        backends.failNext(count, pathMatching: pathMatching, method: method, with: failure)
    }
}
