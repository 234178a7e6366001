import AsyncHTTPClient
import HTTPSupport
import Foundation
import Logging
import NIOCore
import NIOHTTP1

/// A complete HTTP answer, any status.
/// Replaces every known credential in a text by `***`, also in the forms a service may echo it
/// in: percent-encoded (RFC 3986, or everything but letters and digits; upper- or lower-case
/// hex) and JSON-escaped (`\/`).
public struct Scrubber: Sendable {
    /// Shorter values are not worth hiding and would garble texts.
    static let minimumLength = 4
    private let secrets: [String]

    /// Hides `values` (secrets substituted into a request), as they are and encoded.
    public init(values: [String]) {
        self.init(values.map { Secret($0) })
    }

    init(_ secrets: [Secret?]) {
        var values: Set<String> = []
        for secret in secrets.compactMap({ $0 }) where secret.value.count >= Self.minimumLength {
            let value = secret.value
            let encoded = [PercentEncoding.encode(value), PercentEncoding.encode(value, keeping: PercentEncoding.isAlphanumeric)]
            values.insert(value)
            values.insert(value.replacingOccurrences(of: "/", with: "\\/"))
            // As a JSON string holds it (a body's `"${TOKEN}"`, echoed by a validation error).
            values.insert(value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\""))
            for form in encoded {
                values.insert(form)
                values.insert(PercentEncoding.lowercasingHex(form))
            }
        }
        // Longest first, so that a secret containing another is replaced whole.
        self.secrets = values.sorted { $0.count > $1.count }
    }

    public func callAsFunction(_ text: String) -> String {
        var result = text
        for secret in secrets where result.contains(secret) {
            result = result.replacingOccurrences(of: secret, with: "***")
        }
        return result
    }
}

/// Sends one request with a deadline and turns every way it can fail into an ``NLUFailure``.
struct NLUTransport: Sendable {
    let httpClient: HTTPClient
    let timeout: Duration
    let maximumResponseBytes: Int
    let logger: Logger
    /// Names the service in failure messages, for example "Rasa".
    let serviceName: String

    /// - Parameter logger: nil logs nothing (the adapters are quiet unless given a logger);
    ///   `label` names the silent default.
    init(httpClient: HTTPClient, timeout: Duration, maximumResponseBytes: Int, logger: Logger?, label: String, serviceName: String) {
        self.httpClient = httpClient
        self.timeout = timeout
        self.maximumResponseBytes = maximumResponseBytes
        self.logger = logger ?? Logger(label: label, factory: { _ in SwiftLogNoOpLogHandler() })
        self.serviceName = serviceName
    }

    /// The answer, whatever its status, or a timeout/transport failure.
    ///
    /// The timeout covers everything: connecting, sending, waiting and reading the whole body.
    func send(_ request: HTTPClientRequest, logPath: String, scrub: Scrubber) async -> Result<HTTPExchange, NLUFailure> {
        var logger = self.logger
        logger[metadataKey: "nlu.service"] = "\(serviceName)"
        logger[metadataKey: "nlu.request"] = "\(request.method.rawValue) \(logPath)"
        let started = ContinuousClock.now
        let outcome: Result<HTTPExchange, NLUFailure>
        // No logger for AsyncHTTPClient: at trace level it logs response parts, which could echo a credential.
        do {
            let exchange = try await HTTPExchange.perform(request, on: httpClient, timeout: timeout, maximumResponseBytes: maximumResponseBytes)
            outcome = .success(exchange)
            logger.debug(
                "NLU request done",
                metadata: ["http.status": "\(exchange.status)", "nlu.elapsed": "\(ContinuousClock.now - started)"]
            )
        } catch is HTTPExchange.TimedOut {
            outcome = .failure(NLUFailure(kind: .timeout, message: "\(serviceName) did not answer within \(timeout)"))
        } catch {
            outcome = .failure(classify(error, scrub: scrub))
        }
        let elapsed = ContinuousClock.now - started
        if case .failure(let failure) = outcome {
            logger.debug(
                "NLU request failed",
                metadata: ["nlu.failure": "\(failure.kind.rawValue)", "nlu.elapsed": "\(elapsed)"]
            )
        }
        return outcome
    }

    /// Classifies an error thrown while sending or receiving.
    func classify(_ error: any Error, scrub: Scrubber) -> NLUFailure {
        switch error {
        case is CancellationError:
            return NLUFailure(kind: .transport, message: "The request to \(serviceName) was cancelled", retryable: false)
        case let error as HTTPClientError:
            switch error {
            case .deadlineExceeded, .readTimeout, .writeTimeout, .connectTimeout, .tlsHandshakeTimeout,
                .getConnectionFromPoolTimeout, .socksHandshakeTimeout, .httpProxyHandshakeTimeout:
                return NLUFailure(kind: .timeout, message: "\(serviceName) did not answer within \(timeout)")
            case .cancelled, .requestStreamCancelled:
                return NLUFailure(
                    kind: .transport,
                    message: "The request to \(serviceName) was cancelled",
                    retryable: false
                )
            case .invalidURL, .emptyHost, .emptyScheme, .alreadyShutdown:
                return NLUFailure(
                    kind: .transport,
                    message: "Cannot send to \(serviceName): " + scrub(String(describing: error)),
                    retryable: false
                )
            default:
                break
            }
        case is NIOTooManyBytesError:
            return NLUFailure(
                kind: .badResponse,
                message: "\(serviceName) answered with more than \(maximumResponseBytes) bytes"
            )
        case let error as ChannelError:
            if case .connectTimeout = error {
                return NLUFailure(kind: .timeout, message: "\(serviceName) did not answer within \(timeout)")
            }
        default:
            break
        }
        return NLUFailure(
            kind: .transport,
            message: "Cannot reach \(serviceName): " + scrub(String(describing: error))
        )
    }

    /// `nil` for a 2xx answer, otherwise the failure it stands for.
    func failure(for exchange: HTTPExchange, scrub: Scrubber) -> NLUFailure? {
        let status = exchange.status
        if (200...299).contains(status) { return nil }
        let kind: NLUFailure.Kind
        switch status {
        case 401, 403: kind = .unauthorized
        case 408: kind = .timeout
        case 429: kind = .rateLimited
        case 500...599: kind = .server
        case 400...499: kind = .rejected
        default: kind = .badResponse
        }
        let retryAfter = exchange.retryAfterSeconds
        var message = "\(serviceName) answered HTTP \(status)"
        if let detail = Self.errorDetail(exchange, scrub: scrub) { message += ": " + detail }
        return NLUFailure(kind: kind, status: status, message: scrub(message), retryAfterSeconds: retryAfter)
    }

    /// The service's own words about an error: Google's `error.status`/`error.message`, the AWS
    /// error type and `message`, Rasa's `reason`/`message`, or the start of the body.
    static func errorDetail(_ exchange: HTTPExchange, scrub: Scrubber) -> String? {
        var parts: [String] = []
        if let type = exchange.headers.first(name: "x-amzn-ErrorType"), !type.isEmpty {
            parts.append(String(type.prefix { $0 != ":" }))
        }
        if let json = JSON.parse(exchange.bytes) {
            let error = json["error"]
            for candidate in [error?["status"], json["reason"], json["__type"]] {
                if let text = candidate?.text, !parts.contains(text) { parts.append(text) }
            }
            if let message = error?["message"]?.text ?? json["message"]?.text ?? json["Message"]?.text
                ?? error?.text
            {
                parts.append(message)
            }
        }
        if parts.isEmpty, let excerpt = excerpt(exchange.bytes, scrub: scrub) { parts.append(excerpt) }
        return parts.isEmpty ? nil : parts.joined(separator: " ")
    }

    /// The start of a body, printable and on one line, or `nil` if it is empty. Scrubbed whole
    /// before it is cut: a secret across the cut would otherwise leave its first part.
    static func excerpt(_ bytes: some Collection<UInt8>, limit: Int = 160, scrub: Scrubber) -> String? {
        let text = scrub(String(decoding: bytes, as: UTF8.self))
            .map { $0.isNewline || $0 == "\t" ? " " : $0 }
            .filter { !($0.asciiValue.map { $0 < 0x20 || $0 == 0x7f } ?? false) }
        let trimmed = String(text.prefix(limit)).trimmingCharacters(in: .whitespaces)
        return trimmed.isEmpty ? nil : trimmed
    }

    /// Parses a 2xx body as a JSON object, or describes why it is not one.
    func jsonObject(_ exchange: HTTPExchange, scrub: Scrubber) -> Result<JSON, NLUFailure> {
        guard let json = JSON.parse(exchange.bytes), json.object != nil else {
            let excerpt = Self.excerpt(exchange.bytes, limit: 80, scrub: scrub).map { ": \($0)" } ?? ": empty body"
            return .failure(
                NLUFailure(
                    kind: .badResponse,
                    status: exchange.status,
                    message: "\(serviceName) answered HTTP \(exchange.status) with a body that is not a JSON object"
                        + excerpt
                )
            )
        }
        return .success(json)
    }

    /// A 2xx JSON object that lacks what the adapter needs.
    func unexpected(_ exchange: HTTPExchange, _ what: String) -> NLUFailure {
        NLUFailure(
            kind: .badResponse,
            status: exchange.status,
            message: "\(serviceName) answered HTTP \(exchange.status) without \(what)"
        )
    }
}

/// Encodes a JSON request body with stable key order.
func encodeJSONBody(_ value: some Encodable) -> ByteBuffer {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    // The bodies are plain structs of strings: encoding cannot fail.
    let data = (try? encoder.encode(value)) ?? Data("{}".utf8)
    return ByteBuffer(bytes: data)
}

extension String {
    func trimmingSuffix(_ suffix: Character) -> String {
        var result = self
        while result.last == suffix { result.removeLast() }
        return result
    }
}

