import Ledger
import SQLite

/// The SQLite tables of the projections, by version.
///
/// Projection tables hold nothing that is not in the ledger, so a schema change does not
/// migrate rows: when the stored version differs from ``current``, every table any version ever
/// created is dropped, the current ones are created and the checkpoint is reset to 0, all in one
/// transaction; the next catch-up refolds the ledger. Append a version for every change; never
/// edit a shipped one (its table names are what gets dropped).
enum ProjectionSchema {
    struct Version {
        var number: Int
        /// Every table this version creates (dropped on a version change).
        var tables: [String]
        var sql: String
    }

    static let versions: [Version] = [
        Version(number: 1, tables: tablesV1, sql: sqlV1),
        // 2: ConversationState gained the reactor's memory (awaiting, lookups, hand-off reason…);
        // the stored states are refolded.
        Version(number: 2, tables: tablesV1, sql: sqlV1),
        // 3: intent history, total fallbacks and the bot's last messages (for summaries).
        Version(number: 3, tables: tablesV1, sql: sqlV1),
        // 4: pending timers and monitoring note times.
        Version(number: 4, tables: tablesV1, sql: sqlV1),
        // 5: the contact's earlier conversations in each state.
        Version(number: 5, tables: tablesV1, sql: sqlV1),
        // 6: the options of the bot's last question (answered by a message outside the widget).
        Version(number: 6, tables: tablesV1, sql: sqlV1),
        // 7: which bot version is in force, and whether a pause is (`projections.version_activated_at`
        // and `projections.version_paused_at`, beside the checkpoint).
        Version(number: 7, tables: tablesV1, sql: sqlV1),
        // 8: the widget questions the bot moved past (an old widget answers its own question).
        Version(number: 8, tables: tablesV1, sql: sqlV1),
        // 9: a widget question counts as answered from the decision's input and option, not from
        // a recorded flag (earlier questions are refolded).
        Version(number: 9, tables: tablesV1, sql: sqlV1),
    ]

    private static let tablesV1 = ["conversations", "conversation_states", "contacts", "daily_metrics"]
    private static let sqlV1 = """
                CREATE TABLE conversations(
                    account_id INTEGER NOT NULL,
                    conversation_id INTEGER NOT NULL,
                    inbox_id INTEGER,
                    channel TEXT,
                    status TEXT,
                    status_changed_at TEXT,
                    status_cause TEXT,
                    contact_id INTEGER,
                    contact_name TEXT,
                    contact_email TEXT,
                    contact_phone TEXT,
                    contact_identifier TEXT,
                    customer_messages INTEGER NOT NULL,
                    bot_messages INTEGER NOT NULL,
                    agent_messages INTEGER NOT NULL,
                    template_messages INTEGER NOT NULL,
                    private_notes INTEGER NOT NULL,
                    submissions INTEGER NOT NULL,
                    last_intent TEXT,
                    last_intent_confidence REAL,
                    consecutive_fallbacks INTEGER NOT NULL,
                    authenticated INTEGER NOT NULL,
                    human_active INTEGER NOT NULL,
                    pending_effects INTEGER NOT NULL,
                    failed_effects INTEGER NOT NULL,
                    created_at TEXT,
                    first_customer_message_at TEXT,
                    last_customer_message_at TEXT,
                    handoff_at TEXT,
                    first_agent_reply_at TEXT,
                    updated_seq INTEGER NOT NULL,
                    PRIMARY KEY(account_id, conversation_id)
                ) WITHOUT ROWID;
                CREATE INDEX conversations_by_status ON conversations(status, account_id, conversation_id);
                CREATE INDEX conversations_by_contact ON conversations(account_id, contact_id);
                CREATE TABLE conversation_states(
                    account_id INTEGER NOT NULL,
                    conversation_id INTEGER NOT NULL,
                    state TEXT NOT NULL,
                    PRIMARY KEY(account_id, conversation_id)
                ) WITHOUT ROWID;
                CREATE TABLE contacts(
                    account_id INTEGER NOT NULL,
                    contact_id INTEGER NOT NULL,
                    name TEXT,
                    email TEXT,
                    phone TEXT,
                    identifier TEXT,
                    conversations INTEGER NOT NULL,
                    first_seen_at TEXT NOT NULL,
                    last_seen_at TEXT NOT NULL,
                    updated_seq INTEGER NOT NULL,
                    PRIMARY KEY(account_id, contact_id)
                ) WITHOUT ROWID;
                CREATE TABLE daily_metrics(
                    day TEXT NOT NULL,
                    account_id INTEGER NOT NULL,
                    conversations_started INTEGER NOT NULL,
                    handoffs INTEGER NOT NULL,
                    resolved_by_bot INTEGER NOT NULL,
                    resolved_by_agent INTEGER NOT NULL,
                    customer_messages INTEGER NOT NULL,
                    bot_replies INTEGER NOT NULL,
                    agent_replies INTEGER NOT NULL,
                    fallbacks INTEGER NOT NULL,
                    effects_failed INTEGER NOT NULL,
                    PRIMARY KEY(day, account_id)
                ) WITHOUT ROWID;
                """

    static var current: Version { versions[versions.count - 1] }

    /// The table that records which version the projection tables follow.
    static let versionTable = "projection_schema"

    /// The stored version; `nil` when the projections were never set up.
    static func storedVersion(_ connection: Connection) throws -> Int? {
        let exists = try connection.scalarInt("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?", [.text(versionTable)]) ?? 0
        guard exists > 0 else { return nil }
        return try connection.scalarInt("SELECT version FROM \(versionTable) LIMIT 1").map(Int.init)
    }

    /// Drops every projection table of every version and creates the current ones. Call inside
    /// a transaction, together with resetting the checkpoint.
    static func recreate(_ connection: Connection) throws {
        var dropped = Set<String>()
        for version in versions {
            for table in version.tables where dropped.insert(table).inserted {
                try connection.execute("DROP TABLE IF EXISTS \(table)")
            }
        }
        try connection.execute("DROP TABLE IF EXISTS \(versionTable)")
        try connection.execute(current.sql)
        try connection.execute("CREATE TABLE \(versionTable)(version INTEGER NOT NULL)")
        try connection.run("INSERT INTO \(versionTable)(version) VALUES (?)", [.int(Int64(current.number))])
    }
}
