import SQLite

/// Where a frame lives, as recorded in the index.
public struct FrameLocation: Sendable, Equatable {
    public var firstSeq: Seq
    public var lastSeq: Seq
    public var segment: String
    public var offset: Int64
    public var length: Int64
    public var hash: [UInt8]
}

/// One indexed event: its seq and what lets callers find it without decompressing.
struct IndexedEvent: Sendable {
    var stream: String
    var type: String
    var time: Int64
}

struct IndexedFrame: Sendable {
    var location: FrameLocation
    var events: [IndexedEvent]
}

/// The SQLite side of the ledger (`DATA/index.sqlite`, WAL): seq → (segment, offset) and
/// stream → seqs lookups, plus the checkpoint table projections update in the same
/// transaction as their own rows.
///
/// Everything here is derived from the segments: deleting the file and running
/// `ledgerbot ledger rebuild` restores it exactly.
public final class LedgerIndex {
    public let connection: Connection
    static let schemaVersion = "1"

    /// Opens or creates the index for the ledger `ledgerID`.
    /// - Throws: ``LedgerError/Kind/index`` when the file belongs to another ledger or another schema.
    public init(path: String, ledgerID: [UInt8], readOnly: Bool = false) throws {
        do {
            connection = try Connection(path: path, mode: readOnly ? .readOnly : .readWrite)
            if !readOnly {
                try connection.execute("""
                    CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
                    CREATE TABLE IF NOT EXISTS frames(first_seq INTEGER PRIMARY KEY, last_seq INTEGER NOT NULL,
                        segment TEXT NOT NULL, offset INTEGER NOT NULL, length INTEGER NOT NULL, hash BLOB NOT NULL);
                    CREATE TABLE IF NOT EXISTS events(seq INTEGER PRIMARY KEY, stream TEXT NOT NULL, type TEXT NOT NULL, time INTEGER NOT NULL);
                    CREATE INDEX IF NOT EXISTS events_by_stream ON events(stream, seq);
                    CREATE TABLE IF NOT EXISTS checkpoints(name TEXT PRIMARY KEY, seq INTEGER NOT NULL);
                    """)
            }
            let storedID = try connection.scalarText("SELECT value FROM meta WHERE key = 'ledger_id'")
            let storedSchema = try connection.scalarText("SELECT value FROM meta WHERE key = 'schema'")
            if storedID == nil && !readOnly {
                try connection.transaction {
                    try connection.run("INSERT INTO meta(key, value) VALUES ('ledger_id', ?), ('schema', ?)", [.text(ledgerID.hexString), .text(Self.schemaVersion)])
                }
            } else if storedID != ledgerID.hexString {
                throw LedgerError(.index, "\(path) belongs to another ledger (\(storedID ?? "none")); run `ledgerbot ledger rebuild --data DIR`")
            } else if storedSchema != Self.schemaVersion {
                throw LedgerError(.index, "\(path) has index schema \(storedSchema ?? "?"), this build uses \(Self.schemaVersion); run `ledgerbot ledger rebuild --data DIR`")
            }
        } catch let error as SQLiteError {
            throw LedgerError(.index, "cannot open index \(path): \(error)")
        }
    }

    /// The last indexed frame, if any.
    public func lastFrame() throws -> FrameLocation? {
        try connection.query("SELECT first_seq, last_seq, segment, offset, length, hash FROM frames ORDER BY first_seq DESC LIMIT 1", row: Self.frame).first
    }

    /// The frame holding `seq`, if indexed.
    public func frame(containing seq: Seq) throws -> FrameLocation? {
        try connection.query("SELECT first_seq, last_seq, segment, offset, length, hash FROM frames WHERE first_seq <= ? ORDER BY first_seq DESC LIMIT 1",
                             [.int(Int64(bitPattern: seq))], row: Self.frame).first.flatMap { $0.lastSeq >= seq ? $0 : nil }
    }

    /// Seqs of the events in `stream`, ascending.
    public func seqs(inStream stream: String) throws -> [Seq] {
        try connection.query("SELECT seq FROM events WHERE stream = ? ORDER BY seq", [.text(stream)]) { Seq(bitPattern: $0.int64(0)) }
    }

    /// The applied seq of a projection, 0 when it never ran.
    public func checkpoint(_ name: String) throws -> Seq {
        Seq(bitPattern: try connection.scalarInt("SELECT seq FROM checkpoints WHERE name = ?", [.text(name)]) ?? 0)
    }

    /// Records a projection's applied seq. Call inside the transaction that updates its rows.
    public func setCheckpoint(_ name: String, to seq: Seq) throws {
        try connection.run("INSERT INTO checkpoints(name, seq) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET seq = excluded.seq",
                           [.text(name), .int(Int64(bitPattern: seq))])
    }

    func insert(_ frames: [IndexedFrame]) throws {
        try connection.transaction {
            for frame in frames {
                let l = frame.location
                try connection.run("INSERT OR REPLACE INTO frames(first_seq, last_seq, segment, offset, length, hash) VALUES (?, ?, ?, ?, ?, ?)",
                                   [.int(Int64(bitPattern: l.firstSeq)), .int(Int64(bitPattern: l.lastSeq)), .text(l.segment), .int(l.offset), .int(l.length), .blob(l.hash)])
                for (i, event) in frame.events.enumerated() {
                    try connection.run("INSERT OR REPLACE INTO events(seq, stream, type, time) VALUES (?, ?, ?, ?)",
                                       [.int(Int64(bitPattern: l.firstSeq) + Int64(i)), .text(event.stream), .text(event.type), .int(event.time)])
                }
            }
        }
    }

    /// Removes every row at or after `seq` (after a torn tail was truncated).
    func deleteFrom(_ seq: Seq) throws {
        try connection.transaction {
            try connection.run("DELETE FROM frames WHERE last_seq >= ?", [.int(Int64(bitPattern: seq))])
            try connection.run("DELETE FROM events WHERE seq >= ?", [.int(Int64(bitPattern: seq))])
        }
    }

    private static func frame(_ row: Statement) -> FrameLocation {
        FrameLocation(firstSeq: Seq(bitPattern: row.int64(0)), lastSeq: Seq(bitPattern: row.int64(1)), segment: row.text(2),
                      offset: row.int64(3), length: row.int64(4), hash: row.blob(5))
    }

    /// A canonical dump of the ledger-derived tables (for tests and `rebuild` checks).
    public func dump() throws -> [String] {
        var lines: [String] = []
        lines += try connection.query("SELECT first_seq, last_seq, segment, offset, length, hex(hash) FROM frames ORDER BY first_seq") {
            "frame \($0.int64(0)) \($0.int64(1)) \($0.text(2)) \($0.int64(3)) \($0.int64(4)) \($0.text(5))"
        }
        lines += try connection.query("SELECT seq, stream, type, time FROM events ORDER BY seq") {
            "event \($0.int64(0)) \($0.text(1)) \($0.text(2)) \($0.int64(3))"
        }
        return lines
    }
}

@available(*, unavailable)
extension LedgerIndex: Sendable {}
