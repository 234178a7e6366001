import CSQLite

/// An error reported by SQLite, with the statement that caused it.
///
/// Bound values are never part of the description: they may hold customer data.
public struct SQLiteError: Error, CustomStringConvertible, Sendable {
    /// The extended result code (`sqlite3_extended_errcode`).
    public let code: Int32
    public let message: String
    public let sql: String?

    public init(code: Int32, message: String, sql: String? = nil) {
        self.code = code
        self.message = message
        self.sql = sql
    }

    /// The primary result code (`SQLITE_BUSY`, `SQLITE_CONSTRAINT`, …).
    public var primaryCode: Int32 { code & 0xFF }

    public var description: String {
        if let sql { return "SQLite error \(code): \(message) (in `\(sql)`)" }
        return "SQLite error \(code): \(message)"
    }
}
