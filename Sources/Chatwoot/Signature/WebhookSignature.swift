import Crypto
import Foundation

/// Signs and verifies Chatwoot webhook deliveries (docs/chatwoot-protocol.md §3.2, v4.13+).
///
/// The signature is `"sha256=" + lowercase hex(HMAC-SHA256(key: secret, data: "{timestamp}.{body}"))`,
/// computed over the **exact raw body bytes**: verify before decoding, never on re-serialized JSON.
/// Chatwoot enforces no replay window; this type rejects timestamps more than
/// ``Configuration/tolerance`` seconds away from the `now` you pass in. Deduplicate retries by
/// `X-Chatwoot-Delivery` separately.
///
/// ```swift
/// let signature = WebhookSignature(secret: configuration.webhookSecret)
/// try signature.verify(
///     body: rawBody,
///     signatureHeader: request.headers[WebhookSignature.signatureHeaderName],
///     timestampHeader: request.headers[WebhookSignature.timestampHeaderName],
///     now: eventTime
/// )
/// ```
///
/// The secret never appears in descriptions, `dump` output or errors.
public struct WebhookSignature: Sendable, CustomStringConvertible, CustomReflectable {
    public static let signatureHeaderName = "X-Chatwoot-Signature"
    public static let timestampHeaderName = "X-Chatwoot-Timestamp"
    public static let deliveryHeaderName = "X-Chatwoot-Delivery"

    public struct Configuration: Sendable {
        /// Largest accepted distance, in seconds, between the signed timestamp and `now`, in
        /// either direction.
        public var tolerance: Int64

        public init(tolerance: Int64 = 300) {
            self.tolerance = tolerance
        }
    }

    private let secret: RedactedSecret
    public var configuration: Configuration

    /// - Parameter secret: The bot's `secret` exactly as Chatwoot shows it (used as UTF-8 bytes).
    public init(secret: String, configuration: Configuration = .init()) {
        self.secret = RedactedSecret(secret)
        self.configuration = configuration
    }

    /// The `X-Chatwoot-Signature` value Chatwoot would send for `body` at `timestamp`.
    public func sign(body: some DataProtocol, timestamp: Int64) -> String {
        "sha256=" + mac(body: body, timestamp: timestamp).map { Self.hexDigits[Int($0)] }.joined()
    }

    /// Checks a delivery's signature and timestamp.
    ///
    /// The HMAC is checked first (in constant time), then the window, so
    /// ``WebhookSignatureError/Code/expired`` is only reported for authentic deliveries.
    ///
    /// - Parameters:
    ///   - body: The raw request body.
    ///   - signatureHeader: `X-Chatwoot-Signature`, or `nil` if absent.
    ///   - timestampHeader: `X-Chatwoot-Timestamp`, or `nil` if absent.
    ///   - now: The current time; no clock is read inside.
    /// - Returns: The signed timestamp, in Unix seconds.
    /// - Throws: ``WebhookSignatureError`` with code `missing`, `malformed`, `mismatch` or `expired`.
    @discardableResult
    public func verify(
        body: some DataProtocol,
        signatureHeader: String?,
        timestampHeader: String?,
        now: Date
    ) throws(WebhookSignatureError) -> Int64 {
        guard let signatureHeader, let timestampHeader else {
            let missing = signatureHeader == nil ? Self.signatureHeaderName : Self.timestampHeaderName
            throw WebhookSignatureError(.missing, "The \(missing) header is missing")
        }
        guard let timestamp = Self.parseTimestamp(timestampHeader) else {
            throw WebhookSignatureError(.malformed, "\(Self.timestampHeaderName) is not a decimal Unix time")
        }
        guard let provided = Self.parseSignature(signatureHeader) else {
            throw WebhookSignatureError(
                .malformed,
                "\(Self.signatureHeaderName) is not sha256=<64 hex digits>",
                timestamp: timestamp
            )
        }
        guard ConstantTime.equals(mac(body: body, timestamp: timestamp), provided) else {
            throw WebhookSignatureError(.mismatch, "The signature does not match the body", timestamp: timestamp)
        }
        let nowSeconds = Int64(now.timeIntervalSince1970.rounded(.down))
        let (skew, overflow) = nowSeconds.subtractingReportingOverflow(timestamp)
        guard !overflow, skew.magnitude <= configuration.tolerance.magnitude else {
            throw WebhookSignatureError(
                .expired,
                "The timestamp is \(overflow ? "far" : "\(skew.magnitude) s") "
                    + "\(skew >= 0 ? "in the past" : "in the future"), "
                    + "more than the allowed \(configuration.tolerance) s",
                timestamp: timestamp
            )
        }
        return timestamp
    }

    public var description: String { "WebhookSignature(tolerance: \(configuration.tolerance) s)" }
    public var customMirror: Mirror { Mirror(self, children: ["configuration": configuration]) }

    // MARK: - Private

    private static let hexDigits = (0..<256).map { String(format: "%02x", $0) }

    private func mac(body: some DataProtocol, timestamp: Int64) -> [UInt8] {
        var hmac = HMAC<SHA256>(key: SymmetricKey(data: Array(secret.value.utf8)))
        hmac.update(data: Array("\(timestamp).".utf8))
        hmac.update(data: body)
        return Array(hmac.finalize())
    }

    /// ASCII digits only (at most 18, so the value fits in `Int64`), surrounding spaces allowed.
    private static func parseTimestamp(_ header: String) -> Int64? {
        let digits = header.trimmingCharacters(in: .whitespaces)
        guard (1...18).contains(digits.utf8.count), digits.utf8.allSatisfy({ (0x30...0x39).contains($0) }) else {
            return nil
        }
        return Int64(digits)
    }

    /// `sha256=` followed by exactly 64 hex digits (either case), surrounding spaces allowed.
    private static func parseSignature(_ header: String) -> [UInt8]? {
        let trimmed = header.trimmingCharacters(in: .whitespaces)
        let prefix = "sha256="
        guard trimmed.lowercased().hasPrefix(prefix) else { return nil }
        let hex = Array(trimmed.utf8.dropFirst(prefix.utf8.count))
        guard hex.count == 64 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(32)
        for index in stride(from: 0, to: 64, by: 2) {
            guard let high = hexValue(hex[index]), let low = hexValue(hex[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
        }
        return bytes
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
