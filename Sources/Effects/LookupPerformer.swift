import AsyncHTTPClient
import Chatwoot
import Domain
import Foundation
import JSONScan
import HTTPSupport
import Logging
import NLUAdapters
import NIOCore
import NIOHTTP1

/// Performs the policy's lookups and actions (``Domain/LookupCall``) against the company's systems.
public protocol LookupPerformer: Sendable {
    /// One attempt. Never throws: failures are outcomes, classified for retrying.
    func attempt(_ call: LookupCall) async -> AttemptOutcome<LookupAnswer>
}

/// Lookups over HTTP with AsyncHTTPClient.
///
/// - `${NAME}` in the URL, headers and body is replaced from `variables` (the process
///   environment in `serve`), so deployment addresses and secrets never enter the ledger.
/// - 2xx → found, with the `extract` paths of the JSON answer; a `notFound` status → not found;
///   429, 5xx, timeouts and connection errors are retryable; other statuses are final.
/// - Actions (non-GET) send `Idempotency-Key` so a resend after a crash is recognised.
public struct HTTPLookupPerformer: LookupPerformer {
    let httpClient: HTTPClient
    let variables: [String: String]
    let logger: Logger
    /// Larger answers are refused (a lookup needs a few fields).
    public var maximumResponseBytes = 1 << 20

    public init(httpClient: HTTPClient, variables: [String: String] = ProcessInfo.processInfo.environment, logger: Logger) {
        self.httpClient = httpClient
        self.variables = variables
        self.logger = logger
    }

    public func attempt(_ call: LookupCall) async -> AttemptOutcome<LookupAnswer> {
        // What an answer or an error may echo of the variables substituted (a validation error
        // repeating the request's body, say) is hidden before it is recorded in the ledger.
        let referenced = ([call.url, call.body ?? ""] + call.headers.values).flatMap(Variables.names(in:))
        let scrub = Scrubber(values: referenced.compactMap { variables[$0] })
        switch await perform(call, scrub: scrub) {
        case .success(let answer): return .success(answer)
        case .retryable(let status, let message, let after): return .retryable(status: status, message: scrub(message), after: after)
        case .final(let status, let message): return .final(status: status, message: scrub(message))
        }
    }

    private func perform(_ call: LookupCall, scrub: Scrubber) async -> AttemptOutcome<LookupAnswer> {
        let url = expand(call.url, in: .url)
        var request = HTTPClientRequest(url: url)
        request.method = HTTPMethod(rawValue: call.method)
        request.headers.add(name: "Accept", value: "application/json")
        for name in call.headers.keys.sorted() { request.headers.add(name: name, value: expand(call.headers[name]!)) }
        if let key = call.idempotencyKey { request.headers.add(name: "Idempotency-Key", value: key) }
        if let body = call.body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: expand(body, in: .json)))
        }
        let status: Int
        let retryAfterSeconds: Int?
        let bytes: ByteBuffer
        do {
            let exchange = try await HTTPExchange.perform(request, on: httpClient, timeout: .milliseconds(call.timeoutMilliseconds),
                                                          maximumResponseBytes: maximumResponseBytes, logger: logger)
            status = exchange.status
            retryAfterSeconds = exchange.retryAfterSeconds
            bytes = exchange.body
        } catch is HTTPExchange.TimedOut {
            return .retryable(status: nil, message: "\(call.name): timed out after \(call.timeoutMilliseconds) ms")
        } catch let error as HTTPClientError where error == .deadlineExceeded || error == .readTimeout || error == .connectTimeout {
            return .retryable(status: nil, message: "\(call.name): timed out after \(call.timeoutMilliseconds) ms")
        } catch is NIOTooManyBytesError {
            return .final(status: nil, message: "\(call.name): answer larger than \(maximumResponseBytes) bytes")
        } catch {
            return .retryable(status: nil, message: "\(call.name): \(error)")
        }
        if call.notFound.contains(status) { return .success(LookupAnswer(lookup: call.name, found: false, tag: call.tag)) }
        guard (200...299).contains(status) else {
            // Scrubbed whole, then cut: a secret across the cut would leave its first part.
            let excerpt = String(scrub(String(decoding: bytes.readableBytesView, as: UTF8.self)).prefix(300))
            let message = "\(call.name): HTTP \(status) \(excerpt)"
            return status == 429 || status >= 500
                ? .retryable(status: status, message: message, retryAfterSeconds: retryAfterSeconds) : .final(status: status, message: message)
        }
        let document = bytes.readableBytes == 0 ? JSONValue.object([:]) : (try? JSONDecoder().decode(JSONValue.self, from: Data(bytes.readableBytesView)))
        guard let document else { return .final(status: status, message: "\(call.name): the answer is not JSON") }
        var fields: [String: JSONValue] = [:]
        for (field, path) in call.extract {
            if let value = document.value(atPath: path) { fields[field] = value }
        }
        return .success(LookupAnswer(lookup: call.name, found: true, fields: fields, tag: call.tag))
    }

    func expand(_ text: String, in place: Variables.Place = .verbatim) -> String {
        Variables.expand(text, from: variables, in: place) { name in logger.warning("lookup refers to an unset variable", metadata: ["variable": "\(name)"]) }
    }
}

/// `${NAME}` references in policy values (URLs, headers, bodies, NLU settings), expanded only at
/// the edge, from the environment — so addresses and secrets never enter the policy or the ledger.
public enum Variables {
    /// Where a value goes, which decides how it is escaped there.
    public enum Place: Sendable {
        /// As written: headers and NLU settings.
        case verbatim
        /// A lookup's URL. A variable where the address begins — the whole base, or the host
        /// after `scheme://` — is inserted as written (`${ORDERS_API}/orders`); one in the path
        /// or the query is a value and is percent-encoded (`?key=${KEY}` with a `&` or `+` in the
        /// key stays one parameter).
        case url
        /// A lookup's JSON body. A variable inside a string literal is escaped for it (quotes,
        /// backslashes, control characters), so `"token": "${TOKEN}"` stays valid JSON whatever
        /// the token holds; elsewhere (a number, say) it is inserted as written.
        case json
    }

    /// `text` with every `${NAME}` replaced, escaped for `place`; `unset` is told each name that
    /// has no value (it becomes empty).
    public static func expand(_ text: String, from variables: [String: String], in place: Place = .verbatim,
                              unset: (String) -> Void = { _ in }) -> String {
        guard text.contains("${") else { return text }
        var output = ""
        var json = JSONStringTracker()
        var rest = Substring(text)
        while let open = rest.range(of: "${") {
            output += rest[..<open.lowerBound]
            guard let close = rest[open.upperBound...].firstIndex(of: "}") else {
                output += rest[open.lowerBound...]
                return output
            }
            let name = String(rest[open.upperBound..<close])
            if let value = variables[name] {
                switch place {
                case .verbatim: output += value
                case .url: output += isBeforePath(output) ? value : PercentEncoding.encode(value)
                case .json:
                    json.read(output)
                    output += json.inString ? JSONWriter.escapedContent(value) : value
                }
            } else {
                unset(name)
            }
            rest = rest[rest.index(after: close)...]
        }
        return output + rest
    }

    /// The names `text` refers to with `${NAME}`, in order of appearance.
    public static func names(in text: String) -> [String] {
        var names: [String] = []
        _ = expand(text, from: [:]) { names.append($0) }
        return names
    }

    /// True while a URL written so far has not reached its path: nothing yet, or
    /// `scheme://` and (part of) the host and port.
    static func isBeforePath(_ url: String) -> Bool {
        if url.isEmpty { return true }
        guard let separator = url.range(of: "://") else { return false }
        return !url[separator.upperBound...].contains { $0 == "/" || $0 == "?" || $0 == "#" }
    }

    /// Whether the end of a JSON text read so far lies inside a string literal.
    struct JSONStringTracker {
        private(set) var inString = false
        private var escaped = false
        private var read = 0

        /// Reads what `text` added since the last call (`text` only grows).
        mutating func read(_ text: String) {
            for byte in text.utf8.dropFirst(read) {
                if escaped { escaped = false } else if inString && byte == UInt8(ascii: "\\") { escaped = true } else if byte == UInt8(ascii: "\"") { inString.toggle() }
            }
            read = text.utf8.count
        }
    }
}
