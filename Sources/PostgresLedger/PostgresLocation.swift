import Foundation
import Ledger
import NIOSSL
import PostgresNIO

/// Where the PostgreSQL ledger lives, parsed from a `postgres://` URL.
///
/// `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?sslmode=disable|prefer|require|verify-full][&host=/socket/dir]`.
/// The password may instead come from `PGPASSWORD` in the environment (preferred: URLs end up
/// in shell history and process lists). It never appears in ``description``, logs or errors.
public struct PostgresLocation: Sendable, CustomStringConvertible {
    public enum TLSMode: String, Sendable, CaseIterable {
        /// Plain TCP.
        case disable
        /// TLS when the server offers it, without verifying its certificate (libpq's default).
        case prefer
        /// TLS required, certificate not verified (libpq's `require`).
        case require
        /// TLS required and the certificate verified against the system's roots and the host name.
        case verifyFull = "verify-full"
    }

    public var host: String
    public var port: Int
    /// A directory holding the server's unix socket (`?host=/dir`); used instead of TCP when set.
    public var socketDirectory: String?
    public var username: String
    public var password: String?
    public var database: String
    public var tls: TLSMode

    public static func isPostgresURL(_ text: String) -> Bool {
        text.hasPrefix("postgres://") || text.hasPrefix("postgresql://")
    }

    /// - Throws: ``LedgerError/Kind/invalidArgument`` naming what is wrong (never echoing a password).
    public init(url text: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        guard Self.isPostgresURL(text), let components = URLComponents(string: text) else {
            throw LedgerError(.invalidArgument, "not a PostgreSQL URL (expected postgres://USER@HOST:PORT/DATABASE)")
        }
        let query = Dictionary((components.queryItems ?? []).map { ($0.name, $0.value ?? "") }, uniquingKeysWith: { $1 })
        // Decoded once: `user` and `password` are decoded already, so decoding them again turned
        // a password's `%25` (a `%`) into nothing or into another character.
        username = components.percentEncodedUser.flatMap { $0.removingPercentEncoding } ?? environment["PGUSER"] ?? "postgres"
        password = components.percentEncodedPassword.flatMap { $0.removingPercentEncoding } ?? environment["PGPASSWORD"]
        host = components.host.flatMap { $0.isEmpty ? nil : $0 } ?? "127.0.0.1"
        port = components.port ?? 5432
        socketDirectory = query["host"].flatMap { $0.hasPrefix("/") ? $0 : nil }
        let path = components.percentEncodedPath.hasPrefix("/") ? String(components.percentEncodedPath.dropFirst()) : components.percentEncodedPath
        database = path.isEmpty ? username : (path.removingPercentEncoding ?? path)
        if let mode = query["sslmode"] {
            guard let parsed = TLSMode(rawValue: mode) else {
                throw LedgerError(.invalidArgument, "unknown sslmode '\(mode)' (use one of: \(TLSMode.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            tls = parsed
        } else {
            tls = socketDirectory == nil ? .prefer : .disable
        }
        for key in query.keys where !["sslmode", "host"].contains(key) {
            throw LedgerError(.invalidArgument, "unknown PostgreSQL URL parameter '\(key)' (supported: sslmode, host)")
        }
    }

    /// The URL without its password.
    public var description: String {
        var text = "postgres://\(username)@\(host):\(port)/\(database)"
        if let socketDirectory { text += "?host=\(socketDirectory)" }
        return text
    }

    func clientConfiguration(maxConnections: Int) throws -> PostgresClient.Configuration {
        var configuration: PostgresClient.Configuration
        if let socketDirectory {
            configuration = .init(unixSocketPath: "\(socketDirectory)/.s.PGSQL.\(port)", username: username, password: password, database: database)
        } else {
            configuration = .init(host: host, port: port, username: username, password: password, database: database, tls: try tlsConfiguration())
        }
        configuration.options.maximumConnections = maxConnections
        configuration.options.minimumConnections = 0
        configuration.options.connectTimeout = .seconds(5)
        return configuration
    }

    /// The same settings for one connection outside the pool (the start-up probe).
    func connectionConfiguration() throws -> PostgresConnection.Configuration {
        var configuration: PostgresConnection.Configuration
        if let socketDirectory {
            configuration = .init(unixSocketPath: "\(socketDirectory)/.s.PGSQL.\(port)", username: username, password: password, database: database)
        } else {
            let tls: PostgresConnection.Configuration.TLS
            switch self.tls {
            case .disable:
                tls = .disable
            case .prefer, .require:
                var unverified = TLSConfiguration.makeClientConfiguration()
                unverified.certificateVerification = .none
                let context = try NIOSSLContext(configuration: unverified)
                tls = self.tls == .prefer ? .prefer(context) : .require(context)
            case .verifyFull:
                tls = .require(try NIOSSLContext(configuration: .makeClientConfiguration()))
            }
            configuration = .init(host: host, port: port, username: username, password: password, database: database, tls: tls)
        }
        configuration.options.connectTimeout = .seconds(5)
        return configuration
    }

    private func tlsConfiguration() throws -> PostgresClient.Configuration.TLS {
        switch tls {
        case .disable:
            return .disable
        case .prefer, .require:
            var unverified = TLSConfiguration.makeClientConfiguration()
            unverified.certificateVerification = .none
            return tls == .prefer ? .prefer(unverified) : .require(unverified)
        case .verifyFull:
            return .require(.makeClientConfiguration())
        }
    }
}

/// A readable account of a PostgreSQL failure: the server's message and SQLSTATE, or what
/// happened to the connection. (PSQLError's own description hides everything on purpose.)
func describe(_ error: any Error) -> String {
    if let transaction = error as? PostgresTransactionError {
        if let inner = transaction.beginError ?? transaction.closureError ?? transaction.commitError { return describe(inner) }
        return "transaction failed"
    }
    guard let error = error as? PSQLError else { return "\(error)" }
    if let info = error.serverInfo {
        let message = info[.message] ?? "error"
        let state = info[.sqlState].map { " (SQLSTATE \($0))" } ?? ""
        return "PostgreSQL said: \(message)\(state)"
    }
    var text = "\(error.code)"
    if let underlying = error.underlying { text += ": \(underlying)" }
    return text
}

/// The ledger's own error when `error` is one (possibly wrapped by a transaction).
func ledgerError(in error: any Error) -> LedgerError? {
    if let error = error as? LedgerError { return error }
    if let transaction = error as? PostgresTransactionError, let inner = transaction.closureError { return ledgerError(in: inner) }
    return nil
}
