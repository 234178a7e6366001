import Chatwoot
import Domain
import Foundation
import SQLite

/// Where a bounded ``ConversationStore`` keeps the conversation states it moved out of memory:
/// a SQLite file of its own in a new temporary directory, removed with the spill.
///
/// Why: a replay folds every conversation of the ledger, and a state takes a few kilobytes, so
/// memory would grow with the ledger's conversations. With a spill the store keeps only the
/// recently changed ones in memory (``ConversationStore/init(spill:residentLimit:residentContacts:)``),
/// and likewise the recently named contacts (each with its record and its list of conversations).
///
/// States are written as ``ConversationState/storedJSON()`` and read back equal, so a store that
/// spills folds exactly what one that keeps everything in memory folds. A fold cannot throw, so
/// a read that fails is remembered as ``failure`` and the store's owner stops on it
/// (``ConversationStore/evictIfNeeded()`` throws it).
public final class ConversationSpill: @unchecked Sendable {
    // A store is used by one thread at a time; the lock makes sharing the spill safe anyway.
    private let lock = NSLock()
    private let connection: Connection
    /// The temporary directory holding the file.
    public let directory: URL
    private var accounts: Set<Int> = []
    private var firstFailure: ProjectionError?
    private var statesWritten = 0
    private var statesReadBack = 0
    private var contactsWritten = 0

    /// A contact as the store keeps it: its record (if an event named it) and its conversations
    /// in the order they became theirs.
    struct ContactEntry: Codable, Equatable {
        var record: ContactRecord?
        var conversations: [ConversationAddress]
    }

    /// Creates the spill file in a new directory under `parent` (the system's temporary directory).
    /// - Throws: ``ProjectionError/spill`` when the directory or the database cannot be created.
    public init(parent: URL = FileManager.default.temporaryDirectory) throws {
        Self.removeAbandoned(in: parent)
        directory = parent.appendingPathComponent("\(Self.namePrefix)\(getpid())-\(UUID().uuidString)", isDirectory: true)
        do {
            // The states hold what customers wrote: only this user may enter the directory.
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
            connection = try Connection(path: directory.appendingPathComponent("states.sqlite").path)
            // Scratch data: nothing to keep after a crash, so no syncing.
            try connection.execute("""
                PRAGMA synchronous = OFF;
                CREATE TABLE states(account_id INTEGER NOT NULL, id INTEGER NOT NULL, body BLOB NOT NULL, PRIMARY KEY(account_id, id));
                CREATE INDEX states_by_conversation ON states(id);
                CREATE TABLE contacts(account_id INTEGER NOT NULL, id INTEGER NOT NULL, body BLOB NOT NULL, PRIMARY KEY(account_id, id));
                """)
        } catch {
            try? FileManager.default.removeItem(at: directory)
            throw ProjectionError(.spill, "cannot create the file for conversation states under \(parent.path) (\(error)); "
                                  + "set TMPDIR to a writable directory with room for them")
        }
    }

    deinit {
        try? FileManager.default.removeItem(at: directory) // the open file goes with the last reference
    }

    /// Spill directories are named `ledgerbot-spill-PID-UUID`, PID being the process that made it.
    static let namePrefix = "ledgerbot-spill-"

    /// Removes the spill directories under `parent` left by processes that no longer run (a
    /// replay killed before it could remove its own); those of running processes stay.
    static func removeAbandoned(in parent: URL) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: parent.path) else { return }
        for name in names where name.hasPrefix(namePrefix) {
            guard let pid = name.dropFirst(namePrefix.count).split(separator: "-").first.flatMap({ Int32($0) }), pid > 0,
                  kill(pid, 0) != 0, errno == ESRCH else { continue }
            try? FileManager.default.removeItem(at: parent.appendingPathComponent(name, isDirectory: true))
        }
    }

    /// States written to the file (a state spilled twice counts twice), and read back from it.
    public var counts: (written: Int, readBack: Int) { lock.withLock { (statesWritten, statesReadBack) } }

    /// The first read or write that failed; the store's fold is not to be trusted after it.
    public var failure: ProjectionError? { lock.withLock { firstFailure } }

    /// Stores `states` (replacing earlier copies), in one transaction.
    func write(_ states: [ConversationState]) throws {
        try lock.withLock {
            try insert(states.map { ($0.address.accountId, $0.address.conversationId, try $0.storedJSON()) }, into: .states)
            for state in states { accounts.insert(state.address.accountId) }
            statesWritten += states.count
        }
    }

    /// The state stored for `address`, nil when none is (or when reading failed: see ``failure``).
    func state(_ address: ConversationAddress) -> ConversationState? {
        lock.withLock {
            guard statesWritten > 0 else { return nil } // a new conversation, before anything was spilled
            let state = read(from: .states, account: address.accountId, id: address.conversationId) { try ConversationState(storedJSON: $0) }
            if state != nil { statesReadBack += 1 }
            return state
        }
    }

    /// Stores contacts (replacing earlier copies), in one transaction.
    func write(_ entries: [(key: ContactKey, entry: ContactEntry)]) throws {
        try lock.withLock {
            try insert(entries.map { ($0.key.accountId, $0.key.contactId, try CanonicalBytes.encode($0.entry)) }, into: .contacts)
            contactsWritten += entries.count
        }
    }

    /// The contact stored under `key`, nil when none is (or when reading failed: see ``failure``).
    func contact(_ key: ContactKey) -> ContactEntry? {
        lock.withLock {
            guard contactsWritten > 0 else { return nil } // a new contact, before any was spilled
            return read(from: .contacts, account: key.accountId, id: key.contactId) { try JSONDecoder().decode(ContactEntry.self, from: Data($0)) }
        }
    }

    /// The two tables, each a JSON body per account and id (conversation or contact).
    private enum Table: String { case states, contacts }

    /// Called with the lock held; `rows` are encoded first, so an encoding error leaves the file as it was.
    private func insert(_ rows: @autoclosure () throws -> [(account: Int, id: Int, body: [UInt8])], into table: Table) throws {
        do {
            let rows = try rows()
            try connection.transaction {
                for row in rows {
                    try connection.run("INSERT OR REPLACE INTO \(table.rawValue)(account_id, id, body) VALUES (?, ?, ?)",
                                       [.int(Int64(row.account)), .int(Int64(row.id)), .blob(row.body)])
                }
            }
        } catch {
            throw remember(ProjectionError(.spill, "cannot write \(table.rawValue) to \(connection.path): \(error)"))
        }
    }

    /// Called with the lock held.
    private func read<Value>(from table: Table, account: Int, id: Int, _ decode: ([UInt8]) throws -> Value) -> Value? {
        do {
            let rows = try connection.query("SELECT body FROM \(table.rawValue) WHERE account_id = ? AND id = ?",
                                            [.int(Int64(account)), .int(Int64(id))]) { $0.blob(0) }
            return try rows.first.map(decode)
        } catch {
            remember(ProjectionError(.spill, "cannot read \(table == .states ? "the state of conversation" : "contact") \(id) of account \(account) back from \(connection.path): \(error)"))
            return nil
        }
    }

    /// The stored conversations with this id, under any account.
    func addresses(conversationId: Int) -> Set<ConversationAddress> {
        lock.withLock {
            do {
                return Set(try connection.query("SELECT account_id FROM states WHERE id = ?", [.int(Int64(conversationId))]) {
                    ConversationAddress(accountId: Int($0.int64(0)), conversationId: conversationId)
                })
            } catch {
                remember(ProjectionError(.spill, "cannot look up conversation \(conversationId) in \(connection.path): \(error)"))
                return []
            }
        }
    }

    /// The accounts of the stored conversations.
    var storedAccounts: Set<Int> { lock.withLock { accounts } }

    /// Called with the lock held.
    @discardableResult
    private func remember(_ error: ProjectionError) -> ProjectionError {
        if firstFailure == nil { firstFailure = error }
        return error
    }
}
