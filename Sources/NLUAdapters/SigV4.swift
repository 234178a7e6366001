import Crypto
import Foundation
import HTTPSupport

/// AWS Signature Version 4 (`AWS4-HMAC-SHA256`) for requests signed in the `Authorization` header.
///
/// Follows the published algorithm: canonical request → string to sign → signing key derived
/// from the secret key, date, region and service → HMAC-SHA256 signature. Proven against the AWS
/// `aws-sig-v4-test-suite` vectors in `SigV4Tests`.
///
/// Not for Amazon S3 (which wants single-encoded, unnormalised paths and `x-amz-content-sha256`).
public struct SigV4Signer: Sendable, CustomStringConvertible, CustomReflectable {
    public static let algorithm = "AWS4-HMAC-SHA256"

    public var credentials: AWSCredentials
    public var region: String
    public var service: String

    public init(credentials: AWSCredentials, region: String, service: String) {
        self.credentials = credentials
        self.region = region
        self.service = service
    }

    public var description: String { "SigV4Signer(region: \(region), service: \(service), credentials: ***)" }
    public var customMirror: Mirror { Mirror(self, children: ["region": region, "service": service]) }

    /// A request to sign.
    public struct Request: Sendable {
        public var method: String
        /// The path as it is sent on the wire (percent-encoded where needed); it is encoded once
        /// more and normalised for the canonical request, as AWS does for every service but S3.
        public var path: String
        /// Query parameters as plain (decoded) names and values, in any order.
        public var query: [(name: String, value: String)]
        /// The headers to sign, in any order and case; a name may repeat. Must include `Host`.
        public var headers: [(name: String, value: String)]
        public var body: [UInt8]

        public init(
            method: String,
            path: String,
            query: [(name: String, value: String)] = [],
            headers: [(name: String, value: String)],
            body: [UInt8] = []
        ) {
            self.method = method
            self.path = path
            self.query = query
            self.headers = headers
            self.body = body
        }
    }

    /// The signature and every intermediate value.
    public struct Signed: Sendable {
        /// `yyyyMMdd'T'HHmmss'Z'`, sent as `X-Amz-Date`.
        public var amzDate: String
        public var canonicalRequest: String
        public var stringToSign: String
        /// `host;x-amz-date;…`
        public var signedHeaders: String
        /// Hex HMAC-SHA256.
        public var signature: String
        /// The `Authorization` header value.
        public var authorization: String
        /// The request's headers plus `X-Amz-Date`, `X-Amz-Security-Token` (temporary
        /// credentials) and `Authorization`: what to send.
        public var headers: [(name: String, value: String)]
    }

    /// Signs `request` at `date`.
    ///
    /// Adds `X-Amz-Date` (replacing one already present) and, with a session token,
    /// `X-Amz-Security-Token` (unless present); both are signed.
    public func sign(_ request: Request, date: Date) -> Signed {
        let amzDate = Self.amzDate(date)
        var headers = request.headers.filter { $0.name.lowercased() != "x-amz-date" && $0.name.lowercased() != "authorization" }
        headers.append((name: "X-Amz-Date", value: amzDate))
        if let token = credentials.sessionToken,
            !headers.contains(where: { $0.name.lowercased() == "x-amz-security-token" })
        {
            headers.append((name: "X-Amz-Security-Token", value: token.value))
        }

        let (canonicalHeaders, signedHeaders) = Self.canonicalHeaders(headers)
        let canonicalRequest = [
            request.method.uppercased(),
            Self.canonicalURI(request.path),
            Self.canonicalQuery(request.query),
            canonicalHeaders,
            signedHeaders,
            Self.hexSHA256(request.body),
        ].joined(separator: "\n")

        let day = String(amzDate.prefix(8))
        let scope = "\(day)/\(region)/\(service)/aws4_request"
        let stringToSign = [
            Self.algorithm, amzDate, scope, Self.hexSHA256(Array(canonicalRequest.utf8)),
        ].joined(separator: "\n")

        let key = Self.signingKey(secretAccessKey: credentials.secretAccessKey, day: day, region: region, service: service)
        let signature = Array(HMAC<SHA256>.authenticationCode(for: Array(stringToSign.utf8), using: key)).hexString
        let authorization =
            "\(Self.algorithm) Credential=\(credentials.accessKeyId.value)/\(scope), SignedHeaders=\(signedHeaders), Signature=\(signature)"
        headers.append((name: "Authorization", value: authorization))

        return Signed(
            amzDate: amzDate,
            canonicalRequest: canonicalRequest,
            stringToSign: stringToSign,
            signedHeaders: signedHeaders,
            signature: signature,
            authorization: authorization,
            headers: headers
        )
    }

    // MARK: - The steps

    /// `kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, day), region), service), "aws4_request")`.
    public static func signingKey(secretAccessKey: Secret, day: String, region: String, service: String) -> SymmetricKey {
        var key = SymmetricKey(data: Array(("AWS4" + secretAccessKey.value).utf8))
        for part in [day, region, service, "aws4_request"] {
            key = SymmetricKey(data: Array(HMAC<SHA256>.authenticationCode(for: Array(part.utf8), using: key)))
        }
        return key
    }

    /// The path with `.`/`..` segments resolved and empty segments removed (a trailing slash is
    /// kept), each segment percent-encoded; `/` for an empty path.
    public static func canonicalURI(_ path: String) -> String {
        var segments: [Substring] = []
        for segment in path.split(separator: "/", omittingEmptySubsequences: true) {
            switch segment {
            case ".": continue
            case "..": if !segments.isEmpty { segments.removeLast() }
            default: segments.append(segment)
            }
        }
        if segments.isEmpty { return "/" }
        var result = "/" + segments.map { PercentEncoding.encode(String($0)) }.joined(separator: "/")
        let lastSegment = path.split(separator: "/", omittingEmptySubsequences: false).last
        if path.hasSuffix("/") || lastSegment == "." || lastSegment == ".." { result += "/" }
        return result
    }

    /// Encoded `name=value` pairs sorted by name, then value, joined by `&`.
    public static func canonicalQuery(_ items: [(name: String, value: String)]) -> String {
        // After encoding everything is ASCII, so String order is byte order, as AWS requires.
        let encoded: [(name: String, value: String)] = items.map { item in
            (name: PercentEncoding.encode(item.name), value: PercentEncoding.encode(item.value))
        }
        let sorted = encoded.sorted { left, right in
            left.name == right.name ? left.value < right.value : left.name < right.name
        }
        return sorted.map { item in item.name + "=" + item.value }.joined(separator: "&")
    }

    /// Lower-case names sorted, values trimmed with inner runs of spaces collapsed, repeated
    /// names joined by `,` in order: the canonical header block (each line ending in a newline)
    /// and the signed header list.
    public static func canonicalHeaders(_ headers: [(name: String, value: String)]) -> (canonical: String, signed: String) {
        var values: [String: [String]] = [:]
        for (name, value) in headers {
            values[name.lowercased(), default: []].append(collapseSpaces(value))
        }
        let names = values.keys.sorted()
        let canonical = names.map { "\($0):\(values[$0]!.joined(separator: ","))\n" }.joined()
        return (canonical, names.joined(separator: ";"))
    }

    static func collapseSpaces(_ value: String) -> String {
        value.split(whereSeparator: { $0 == " " || $0 == "\t" }).joined(separator: " ")
    }

    /// `yyyyMMdd'T'HHmmss'Z'` in UTC.
    public static func amzDate(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        func two(_ value: Int?) -> String { String(value ?? 0).zeroPadded(to: 2) }
        let year: String = String(parts.year ?? 1970).zeroPadded(to: 4)
        let day: String = year + two(parts.month) + two(parts.day)
        let time: String = two(parts.hour) + two(parts.minute) + two(parts.second)
        return day + "T" + time + "Z"
    }

    public static func hexSHA256(_ bytes: [UInt8]) -> String {
        Array(SHA256.hash(data: bytes)).hexString
    }
}
