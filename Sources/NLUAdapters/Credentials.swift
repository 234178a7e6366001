import Foundation
import Synchronization

/// A credential (token, secret key). It never appears in `print`, `dump`, string interpolation
/// or logs: every textual form is `***`.
public struct Secret: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable,
    ExpressibleByStringLiteral
{
    let value: String

    public init(_ value: String) { self.value = value }
    public init(stringLiteral value: String) { self.value = value }

    public var isEmpty: Bool { value.isEmpty }
    public var description: String { "***" }
    public var debugDescription: String { "***" }
    public var customMirror: Mirror { Mirror(self, children: [], displayStyle: .struct) }
}

/// AWS credentials for SigV4: an access key pair and, for temporary credentials, a session token.
public struct AWSCredentials: Sendable, Hashable, CustomStringConvertible, CustomReflectable {
    public var accessKeyId: Secret
    public var secretAccessKey: Secret
    public var sessionToken: Secret?

    public init(accessKeyId: String, secretAccessKey: Secret, sessionToken: Secret? = nil) {
        self.accessKeyId = Secret(accessKeyId)
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
    }

    public var description: String {
        "AWSCredentials(accessKeyId: ***, secretAccessKey: ***\(sessionToken == nil ? "" : ", sessionToken: ***"))"
    }
    public var customMirror: Mirror { Mirror(self, children: [], displayStyle: .struct) }

    /// Every credential value, for scrubbing texts.
    var secrets: [Secret] { [accessKeyId, secretAccessKey] + (sessionToken.map { [$0] } ?? []) }
}

/// A credential could not be loaded. Names the variable or file, never its content.
public struct CredentialsError: Error, Sendable, Hashable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Loading credentials from the environment or from files (for example Docker/Kubernetes secrets).
public enum Credentials {
    /// The value of the environment variable `name`, without surrounding whitespace.
    public static func fromEnvironment(
        _ name: String,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(CredentialsError) -> Secret {
        guard let raw = environment[name] else {
            throw CredentialsError("The environment variable \(name) is not set")
        }
        let value = raw.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !value.isEmpty else { throw CredentialsError("The environment variable \(name) is empty") }
        return Secret(value)
    }

    /// The content of the file at `path`, without surrounding whitespace (a trailing newline is usual).
    public static func fromFile(_ path: String) throws(CredentialsError) -> Secret {
        let value = try readFile(path).trimmingCharacters(in: .whitespacesAndNewlines)
        guard !value.isEmpty else { throw CredentialsError("The credential file \(path) is empty") }
        return Secret(value)
    }

    /// `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` and, if set, `AWS_SESSION_TOKEN`.
    public static func awsFromEnvironment(
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(CredentialsError) -> AWSCredentials {
        let accessKey = try fromEnvironment("AWS_ACCESS_KEY_ID", environment: environment)
        let secretKey = try fromEnvironment("AWS_SECRET_ACCESS_KEY", environment: environment)
        let token = try? fromEnvironment("AWS_SESSION_TOKEN", environment: environment)
        return AWSCredentials(accessKeyId: accessKey.value, secretAccessKey: secretKey, sessionToken: token)
    }

    /// A profile of an AWS shared credentials file (`~/.aws/credentials` format:
    /// `[profile]` sections with `aws_access_key_id`, `aws_secret_access_key`, `aws_session_token`).
    public static func awsFromFile(_ path: String, profile: String = "default") throws(CredentialsError) -> AWSCredentials {
        var section: String?
        var values: [String: String] = [:]
        for rawLine in try readFile(path).split(whereSeparator: \.isNewline) {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            if line.hasPrefix("[") && line.hasSuffix("]") {
                section = line.dropFirst().dropLast().trimmingCharacters(in: .whitespaces)
                continue
            }
            guard section == profile, let equals = line.firstIndex(of: "=") else { continue }
            let key = line[..<equals].trimmingCharacters(in: .whitespaces).lowercased()
            values[key] = line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces)
        }
        guard let accessKey = values["aws_access_key_id"], !accessKey.isEmpty,
            let secretKey = values["aws_secret_access_key"], !secretKey.isEmpty
        else {
            throw CredentialsError("The profile \(profile) in \(path) has no aws_access_key_id and aws_secret_access_key")
        }
        let token = values["aws_session_token"].flatMap { $0.isEmpty ? nil : Secret($0) }
        // Temporary credentials (ASIA…) need their token: without it, the file is being written
        // (the token is its last, longest line) and signing would fail as a 403.
        guard token != nil || !accessKey.hasPrefix("ASIA") else {
            throw CredentialsError("The profile \(profile) in \(path) has temporary credentials (ASIA…) without aws_session_token; a refresher should write a new file and rename it over the old one")
        }
        return AWSCredentials(accessKeyId: accessKey, secretAccessKey: Secret(secretKey), sessionToken: token)
    }

    private static func readFile(_ path: String) throws(CredentialsError) -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CredentialsError("The credential file \(path) cannot be read")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw CredentialsError("The credential file \(path) is not UTF-8")
        }
        return text
    }
}

/// Where an adapter gets its OAuth bearer token (Dialogflow) for each request.
///
/// Google access tokens expire after an hour: use ``file(_:)`` with a file that something else
/// refreshes (a sidecar, a cron job running `gcloud auth print-access-token`), or ``provider(_:_:)``.
public struct BearerTokenSource: Sendable, CustomStringConvertible {
    let label: String
    let load: @Sendable () async throws -> Secret

    /// A fixed token.
    public static func value(_ token: Secret) -> BearerTokenSource {
        BearerTokenSource(label: "value(***)") { token }
    }

    /// The content of the file at `path`, read again for every request. While the file cannot
    /// be read or is empty — a refresher rewriting it in place (`gcloud auth print-access-token
    /// > file` empties it first) — the last token read is used: without it, a routine refresh
    /// failed a customer's message as "unauthorized" (and with `on_error: handoff` handed it off).
    /// For at most `staleFor` (5 minutes): a file deleted for good then fails as itself, not an
    /// hour later as a 401 that never names it.
    public static func file(_ path: String, staleFor: Duration = .seconds(300)) -> BearerTokenSource {
        let lastRead = LastRead<Secret>(staleFor: staleFor)
        return BearerTokenSource(label: "file(\(path))") { try lastRead.read { try Credentials.fromFile(path) } }
    }

    /// The value the current token can be loaded with (for the tests and the adapters).
    public func current() async throws -> Secret { try await load() }

    /// A token from `load`, called for every request (it should cache).
    public static func provider(
        _ name: String = "provider",
        _ load: @escaping @Sendable () async throws -> Secret
    ) -> BearerTokenSource {
        BearerTokenSource(label: "provider(\(name))", load: load)
    }

    public var description: String { label }
}

/// Where an adapter gets its AWS credentials (Lex) for each request.
///
/// Temporary credentials (a role's, with a session token) expire, typically within an hour, and
/// the environment of a running process never changes: for them use ``file(_:profile:staleFor:)``
/// with a shared credentials file that something else refreshes (a sidecar, a cron job running
/// `aws configure export-credentials --format ini`-style tooling, the container's credential agent).
public struct AWSCredentialsSource: Sendable, CustomStringConvertible {
    let label: String
    let load: @Sendable () throws -> AWSCredentials

    /// Fixed credentials (the environment's, read once at start).
    public static func value(_ credentials: AWSCredentials) -> AWSCredentialsSource {
        AWSCredentialsSource(label: "value(***)") { credentials }
    }

    /// The profile `profile` of the shared credentials file at `path`, read again for every
    /// request, so rotated temporary credentials are used as soon as the file has them. While
    /// the file cannot be read or lacks the keys (a refresher rewriting it), the last credentials
    /// read are used, for at most `staleFor`.
    public static func file(_ path: String, profile: String = "default", staleFor: Duration = .seconds(300)) -> AWSCredentialsSource {
        let lastRead = LastRead<AWSCredentials>(staleFor: staleFor)
        return AWSCredentialsSource(label: "file(\(path), profile: \(profile))") {
            try lastRead.read { try Credentials.awsFromFile(path, profile: profile) }
        }
    }

    /// The credentials to sign the next request with.
    public func current() throws -> AWSCredentials { try load() }

    public var description: String { label }
}

/// The last value read from a file that something else rewrites, kept for a while when a read
/// fails: a refresher that empties the file first, or replaces it, must not fail the requests
/// that come meanwhile. After `staleFor` without a good read, the read's own error is thrown.
final class LastRead<Value: Sendable>: Sendable {
    private let last = Mutex<(Value, ContinuousClock.Instant)?>(nil)
    private let staleFor: Duration

    init(staleFor: Duration) { self.staleFor = staleFor }

    func read(_ load: () throws -> Value) throws -> Value {
        do {
            let value = try load()
            last.withLock { $0 = (value, .now) }
            return value
        } catch {
            if let (value, at) = last.withLock({ $0 }), ContinuousClock.now - at <= staleFor { return value }
            throw error
        }
    }
}
