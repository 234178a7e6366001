import CSQLite

/// One SQLite connection, owned by a single thread or actor at a time.
///
/// Opens in WAL mode with a busy timeout. Statements are cached by SQL text;
/// a statement that fails is dropped from the cache. Writes go through
/// ``transaction(_:)``, which uses `BEGIN IMMEDIATE` and rolls back on any throw.
public final class Connection {
    public enum Mode: Sendable { case readWrite, readOnly }

    private var handle: OpaquePointer?
    private var cache: [String: Statement] = [:]
    public let path: String

    /// Opens (and creates, in read-write mode) the database at `path`.
    /// - Throws: ``SQLiteError`` when the file cannot be opened, is not a database,
    ///   or WAL mode cannot be enabled.
    public init(path: String, mode: Mode = .readWrite, busyTimeoutMilliseconds: Int32 = 5_000) throws {
        self.path = path
        let flags = mode == .readWrite
            ? SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX
            : SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX
        var db: OpaquePointer?
        let rc = sqlite3_open_v2(path, &db, flags, nil)
        guard rc == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            _ = sqlite3_close(db) // the handle is useless after a failed open; its result code adds nothing
            throw SQLiteError(code: rc, message: "cannot open \(path): \(message)")
        }
        handle = db
        sqlite3_extended_result_codes(db, 1)
        sqlite3_busy_timeout(db, busyTimeoutMilliseconds)
        if mode == .readWrite {
            let journal = try scalarText("PRAGMA journal_mode = WAL")
            guard journal?.lowercased() == "wal" else {
                throw SQLiteError(code: SQLITE_ERROR, message: "cannot enable WAL mode on \(path) (got \(journal ?? "nil"))")
            }
            try execute("PRAGMA synchronous = NORMAL")
        }
        // Fails early with SQLITE_NOTADB when the file is not a database.
        _ = try scalarInt("SELECT count(*) FROM sqlite_master")
    }

    deinit {
        cache.removeAll()
        _ = sqlite3_close_v2(handle) // nothing useful to do with a close error in deinit
    }

    /// Runs one or more statements that return no rows.
    public func execute(_ sql: String) throws {
        var error: UnsafeMutablePointer<CChar>?
        let rc = sqlite3_exec(handle, sql, nil, nil, &error)
        if rc != SQLITE_OK {
            let message = error.map { String(cString: $0) } ?? lastErrorMessage
            sqlite3_free(error)
            throw SQLiteError(code: sqlite3_extended_errcode(handle), message: message, sql: sql)
        }
    }

    /// A cached prepared statement for `sql`, reset and with bindings cleared.
    public func prepare(_ sql: String) throws -> Statement {
        if let cached = cache[sql] {
            cached.reset()
            return cached
        }
        var stmt: OpaquePointer?
        let rc = sqlite3_prepare_v2(handle, sql, -1, &stmt, nil)
        guard rc == SQLITE_OK, let stmt else {
            throw SQLiteError(code: sqlite3_extended_errcode(handle), message: lastErrorMessage, sql: sql)
        }
        let statement = Statement(stmt, connection: self, sql: sql)
        cache[sql] = statement
        return statement
    }

    /// Runs `body` in a `BEGIN IMMEDIATE` transaction: committed when `body` returns,
    /// rolled back when it throws (the first error is rethrown).
    public func transaction<T>(_ body: () throws -> T) throws -> T {
        try execute("BEGIN IMMEDIATE")
        do {
            let result = try body()
            try execute("COMMIT")
            return result
        } catch {
            // The original error matters more than a failed rollback (which only happens
            // when SQLite already rolled back by itself).
            try? execute("ROLLBACK")
            throw error
        }
    }

    /// Executes `sql` with `arguments` bound in order, discarding rows.
    public func run(_ sql: String, _ arguments: [SQLiteValue] = []) throws {
        let statement = try prepare(sql)
        try statement.bind(arguments)
        while try statement.step() {}
    }

    /// All rows of `sql`, each mapped by `row`.
    public func query<T>(_ sql: String, _ arguments: [SQLiteValue] = [], row: (Statement) throws -> T) throws -> [T] {
        let statement = try prepare(sql)
        try statement.bind(arguments)
        var rows: [T] = []
        while try statement.step() { rows.append(try row(statement)) }
        return rows
    }

    public func scalarInt(_ sql: String, _ arguments: [SQLiteValue] = []) throws -> Int64? {
        try query(sql, arguments) { $0.isNull(0) ? nil : $0.int64(0) }.first ?? nil
    }

    public func scalarText(_ sql: String, _ arguments: [SQLiteValue] = []) throws -> String? {
        try query(sql, arguments) { $0.isNull(0) ? nil : $0.text(0) }.first ?? nil
    }

    /// Number of rows changed by the last statement.
    public var changes: Int { Int(sqlite3_changes(handle)) }

    var lastErrorMessage: String { String(cString: sqlite3_errmsg(handle)) }
    var rawHandle: OpaquePointer? { handle }
}

@available(*, unavailable)
extension Connection: Sendable {}
