import Foundation
import Logging
import ServiceLifecycle

/// Fake company systems on loopback, for the bot's HTTP lookups and actions in tests and the demo:
/// a customer directory, orders and shipments, a content feed, hotel availability and bookings.
///
/// Every answer is JSON (`application/json`) from fixed seed data, so runs are deterministic. Like
/// ``ChatwootSimulator`` it records every call (``requests``), can fail chosen calls
/// (``failNext(_:pathMatching:method:with:)``) and can go down and come back
/// (``stopServer()``, ``restartServer()``).
///
/// ```swift
/// try await SampleBackends.withRunning { backends in
///     let url = backends.baseURL + "/orders/AB-10001"   // http://127.0.0.1:PORT/orders/AB-10001
///     backends.failNext(pathMatching: "/orders", with: .status(503))
///     …
///     #expect(backends.bookings.count == 1)
/// }
/// ```
///
/// ## Endpoints
///
/// Errors are `{"error":"not_found"}` (404) or `{"error":"bad_request","message":"…"}` (400); a
/// body that does not parse is a 400, never a 500. Other paths answer 404, other methods 405.
///
/// - `GET /healthz` → 200 `{"status":"ok"}`.
/// - `GET /customers?email=E&order=O` → 200
///   `{"id":7,"name":"Maria Silva","email":"maria@example.com","tier":"gold","verified":true}` when
///   the customer with that email (trimmed, any case) owns order `O` (spelled as for `/orders`);
///   404 otherwise. Without `order`, the customer with `"verified":false`, or 404. No `email`: 400.
///   Seed: `maria@example.com` (7, gold; AB-10001, AB-10002), `joao@example.com` (8, silver;
///   AB-20001), `alex@example.com` (9, standard; no orders).
/// - `GET /orders/{number}` → 200 `{"number","status","carrier","tracking","eta","items":[{"name","qty"}],
///   "customer_email"}`, or 404. The number is matched in any case, with or without its dash
///   (`ab10001` is AB-10001). AB-10001 is `shipped` (UPS, 1Z999, eta 2026-12-02), AB-10002
///   `processing` (carrier and tracking `null`, eta 2026-12-09), AB-20001 `delivered` (DHL).
/// - `GET /articles?topic=T` → 200 `{"topic":T,"items":[{"title","summary","url","image"}]}`: three
///   items each for `technology`, `sports` and `business` (any case), none for other topics. No
///   `topic`: 400.
/// - `GET /availability?checkin=YYYY-MM-DD&checkout=YYYY-MM-DD&guests=N` → 200
///   `{"available":true,"nights":N,"rooms":[{"type":"standard","price":120,"currency":"USD"},
///   {"type":"deluxe","price":190,"currency":"USD"}]}` (prices per night). More than 4 guests: only
///   deluxe. A stay with a night on 24, 25 or 26 December 2026: `"available":false` and no rooms.
///   400 for an invalid date, a checkout not after the checkin, or guests not 1…6.
/// - `POST /bookings` with a JSON object `{"room","checkin","checkout","guests","name","email"}` and
///   an `Idempotency-Key` header → 201 `{"reference":"BK-0001","status":"confirmed", …the fields,
///   "nights","total","currency"}`. References count up from BK-0001. The same key again answers
///   the same booking with 200 and books nothing; the same key with other fields is a 422
///   `{"error":"idempotency_key_reused"}`. No key, a body that is not a JSON object, a missing or
///   invalid field (as for `/availability`; `guests` may be a number or a string of digits; `room` is
///   `standard` or `deluxe`): 400. A room not available for the stay: 409 `{"error":"not_available"}`.
///
/// As a `Service` it serves until cancelled or shut down gracefully, for a demo that keeps it up;
/// ``withRunning(configuration:logger:_:)`` does that around a closure.
public final class SampleBackends: Service, Sendable {
    /// Where the backends listen.
    public struct Configuration: Sendable {
        /// The address the server binds to.
        public var host: String
        /// `0` picks a free port; a restart reuses the port first bound.
        public var port: Int
        /// Largest accepted request body; a larger one is answered with 413.
        public var bodyLimit: Int

        public init(host: String = "127.0.0.1", port: Int = 0, bodyLimit: Int = 1 << 20) {
            self.host = host
            self.port = port
            self.bodyLimit = bodyLimit
        }
    }

    public let configuration: Configuration
    private let requestLog: RequestLog
    private let failures: FailureInjector
    private let desk: BookingDesk
    private let server: ServerSupervisor

    /// - Parameter logger: Receives a `debug` line when the server starts; nothing if `nil`.
    public init(configuration: Configuration = .init(), logger: Logger? = nil) {
        let logger = logger ?? Logger(label: "SampleBackends", factory: { _ in SwiftLogNoOpLogHandler() })
        self.configuration = configuration
        let requestLog = RequestLog(signal: ChangeSignal())
        let failures = FailureInjector()
        let desk = BookingDesk()
        self.requestLog = requestLog
        self.failures = failures
        self.desk = desk
        self.server = ServerSupervisor(
            host: configuration.host,
            port: configuration.port,
            responder: SimulatorResponder(
                endpoints: BackendEndpoints(desk: desk),
                requestLog: requestLog,
                failures: failures,
                bodyLimit: configuration.bodyLimit
            ),
            logger: logger
        )
    }

    /// Serves until cancelled or shut down gracefully.
    public func run() async throws {
        await withGracefulShutdownHandler {
            await server.run()
        } onGracefulShutdown: {
            self.server.finish()
        }
        server.finish()
    }

    /// Runs the backends for the duration of `body`, which starts once the server is listening.
    ///
    /// - Throws: ``SimulatorError/Code/serverNotRunning`` if the server cannot bind, or what `body` throws.
    @discardableResult
    public static func withRunning<T>(
        configuration: Configuration = .init(),
        logger: Logger? = nil,
        _ body: (SampleBackends) async throws -> T
    ) async throws -> T {
        let backends = SampleBackends(configuration: configuration, logger: logger)
        let result: Result<T, any Error> = await withTaskGroup(of: Void.self) { group in
            group.addTask {
                // Ends only by cancellation below; `run()` does not throw for it.
                try? await backends.run()
            }
            defer { group.cancelAll() }
            do {
                _ = try await backends.ready()
                return .success(try await body(backends))
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    /// Waits until the server listens for the first time and returns ``baseURL``.
    /// - Throws: ``SimulatorError/Code/serverNotRunning`` if it could not bind.
    @discardableResult
    public func ready() async throws -> String {
        Self.url(host: configuration.host, port: try await server.ready())
    }

    /// `http://host:port`, without a trailing slash. Before the first start (see ``ready()``) the
    /// port is the configured one.
    public var baseURL: String {
        Self.url(host: configuration.host, port: server.port ?? configuration.port)
    }

    /// Every call received so far, in arrival order, with its headers and body.
    public var requests: [RecordedRequest] { requestLog.all }

    /// The bookings made so far, oldest first (an idempotent replay adds none).
    public var bookings: [SampleBooking] { desk.bookings }

    /// Makes the next `count` calls whose path (without the query) contains `pathMatching`, and
    /// whose method is `method` when given, fail with `failure`. Rules are consulted oldest first;
    /// an empty `pathMatching` matches every call.
    ///
    /// ```swift
    /// backends.failNext(pathMatching: "/orders", with: .status(503))
    /// backends.failNext(pathMatching: "/bookings", method: "POST", with: .slowResponse(.seconds(5)))
    /// ```
    public func failNext(
        _ count: Int = 1,
        pathMatching: String = "",
        method: String? = nil,
        with failure: InjectedFailure
    ) {
        failures.add(count: count, pathFragment: pathMatching, method: method, failure: failure)
    }

    /// Calls that injected failures will still affect.
    public var pendingFailureCount: Int { failures.pendingCount }

    /// Forgets every failure rule.
    public func clearFailures() {
        failures.removeAll()
    }

    /// Stops the server, as if the company systems went down: the port refuses connections and
    /// requests in progress get no answer. Bookings are kept. Returns once the socket is closed.
    public func stopServer() async {
        await server.stop()
    }

    /// Starts the server again on the port it bound first; returns at once when it is running.
    /// - Returns: ``baseURL``.
    /// - Throws: ``SimulatorError/Code/serverNotRunning`` if the port cannot be bound again.
    @discardableResult
    public func restartServer() async throws -> String {
        Self.url(host: configuration.host, port: try await server.start())
    }

    /// Whether the server is listening.
    public var isServerRunning: Bool { server.isRunning }

    private static func url(host: String, port: Int) -> String {
        "http://\(host):\(port)"
    }
}
