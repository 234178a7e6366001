import Domain
import Chatwoot
import Ledger

/// Every conversation's ``ConversationState`` and every contact, in memory, folded from the
/// ledger in seq order.
///
/// Deterministic: the result depends only on the events (no clock, no randomness, and nothing
/// depends on dictionary order), so two folds over the same ledger are equal, and a store
/// rebuilt from seq 1 equals one that was updated live.
///
/// ```swift
/// let store = try ConversationStore.build(directory: LedgerDirectory(dataPath: "data"))
/// let state = store[ConversationAddress(accountId: 1, conversationId: 128)]
/// ```
///
/// A store made with a ``ConversationSpill`` keeps only the recently changed states and the
/// recently named contacts in memory and moves the others to the spill's file
/// (``evictIfNeeded()``); it folds exactly the same. Read through ``subscript(_:)`` and
/// ``contact(_:)``: ``conversations`` and ``contacts`` then hold only what is in memory.
public struct ConversationStore: Sendable, Equatable {
    /// The states in memory: every conversation's, unless the store spills.
    public private(set) var conversations: [ConversationAddress: ConversationState] = [:]
    /// The contacts in memory: every contact, unless the store spills.
    public private(set) var contacts: [ContactKey: ContactRecord] = [:]
    /// The last seq folded; events at or below it are skipped.
    public private(set) var appliedSeq: Seq = 0

    public init() {}

    /// A store that keeps about `residentLimit` conversation states and `residentContacts`
    /// contacts in memory, the others in `spill`. A contact (its record and the list of its
    /// conversations) takes about a tenth of a state's memory, so by default five times as many
    /// contacts as states stay in memory.
    public init(spill: ConversationSpill, residentLimit: Int, residentContacts: Int? = nil) {
        precondition(residentLimit > 0 && (residentContacts ?? 1) > 0, "a store keeps at least one conversation and one contact in memory")
        let (five, overflow) = residentLimit.multipliedReportingOverflow(by: 5)
        self.spill = Spill(file: spill, residentLimit: residentLimit, contactLimit: residentContacts ?? (overflow ? .max : five))
    }

    private struct Spill: Sendable, Equatable {
        let file: ConversationSpill
        let residentLimit: Int
        let contactLimit: Int
        static func == (lhs: Spill, rhs: Spill) -> Bool {
            lhs.file === rhs.file && lhs.residentLimit == rhs.residentLimit && lhs.contactLimit == rhs.contactLimit
        }
    }

    private var spill: Spill?

    /// The conversations of each contact: those whose state names the contact now, by conversation
    /// id. Derived, and rebuilt from the states on load: the fold keeps the same list (a restarted
    /// `serve` and a replay from seq 1 give a new conversation the same earlier ones, in the same order).
    private var conversationsByContact: [ContactKey: [ConversationAddress]] = [:]

    init(conversations: [ConversationAddress: ConversationState], contacts: [ContactKey: ContactRecord], appliedSeq: Seq) {
        self.conversations = conversations
        self.contacts = contacts
        self.appliedSeq = appliedSeq
        for address in conversations.keys.sorted(by: { ($0.accountId, $0.conversationId) < ($1.accountId, $1.conversationId) }) {
            guard let id = conversations[address]?.contact?.id else { continue }
            conversationsByContact[ContactKey(accountId: address.accountId, contactId: id), default: []].append(address)
        }
    }

    /// A conversation's state, in memory or spilled.
    public subscript(address: ConversationAddress) -> ConversationState? {
        conversations[address] ?? spill?.file.state(address)
    }

    /// With a spill, when more than its resident limit are in memory: moves the states changed
    /// longest ago to the spill, leaving three quarters of the limit (the sort is paid once per
    /// quarter of the limit of new conversations), and the contacts named longest ago likewise.
    /// A state or contact is read back when an event needs it. Cheap otherwise: call it after
    /// every fold.
    /// - Throws: ``ProjectionError/spill`` when the spill cannot be written, or when reading it
    ///   back failed during an earlier fold (whose result is then not to be trusted).
    public mutating func evictIfNeeded() throws {
        guard let spill else { return }
        if let failure = spill.file.failure { throw failure }
        if conversations.count > spill.residentLimit {
            let oldest = conversations.map { (seq: $0.value.lastSeq, address: $0.key) }
                .sorted { ($0.seq, $0.address.accountId, $0.address.conversationId) < ($1.seq, $1.address.accountId, $1.address.conversationId) }
                .prefix(conversations.count - (spill.residentLimit - spill.residentLimit / 4))
            try spill.file.write(oldest.map { conversations[$0.address]! })
            for victim in oldest { conversations[victim.address] = nil }
        }
        if contacts.count > spill.contactLimit || conversationsByContact.count > spill.contactLimit { try evictContacts(spill) }
    }

    /// The same for contacts, the least recently named first; a contact's record and its list of
    /// conversations move together.
    private mutating func evictContacts(_ spill: Spill) throws {
        let keys = Set(contacts.keys).union(conversationsByContact.keys)
        let oldest = keys.map { (seq: contacts[$0]?.updatedSeq ?? 0, key: $0) }
            .sorted { ($0.seq, $0.key) < ($1.seq, $1.key) }
            .prefix(keys.count - (spill.contactLimit - spill.contactLimit / 4))
        try spill.file.write(oldest.map { (key: $0.key, entry: ConversationSpill.ContactEntry(record: contacts[$0.key], conversations: conversationsByContact[$0.key] ?? [])) })
        for victim in oldest {
            contacts[victim.key] = nil
            conversationsByContact[victim.key] = nil
        }
    }

    /// A contact's record, in memory or spilled.
    public func contact(_ key: ContactKey) -> ContactRecord? {
        contacts[key] ?? spill?.file.contact(key)?.record
    }

    /// Brings a spilled contact (its record and its conversations) back into memory before it changes.
    private mutating func loadContact(_ key: ContactKey) {
        guard let spill, contacts[key] == nil, conversationsByContact[key] == nil, let entry = spill.file.contact(key) else { return }
        contacts[key] = entry.record
        conversationsByContact[key] = entry.conversations.isEmpty ? nil : entry.conversations
    }

    /// Folds every event of the ledger in `directory`, from seq 1 through `through`.
    /// - Throws: ``Ledger/LedgerError`` for a missing ledger or damaged data.
    public static func build(directory: LedgerDirectory, through: Seq = .max,
                             dictionaries: [CompressionDictionary] = CompressionDictionary.builtIn) throws -> ConversationStore {
        var store = ConversationStore()
        let cursor = try LedgerCursor(directory: directory, from: 1, through: through, dictionaries: dictionaries)
        while let event = try cursor.next() { store.apply(event) }
        return store
    }

    /// Folds one event.
    ///
    /// Routing: webhooks by the account and conversation in their payload, decisions by
    /// ``Domain/Decision/conversation``, effect results by their stream (`account/conversation`).
    /// Conversation payloads carry no account when the conversation has no message yet; then a
    /// conversation id known under exactly one account, or a ledger with a single account,
    /// settles it; otherwise the event is left out (it cannot be addressed anyway).
    /// A `webwidget_triggered` without a conversation updates only its contact.
    ///
    /// - Returns: what changed; empty for an event at or below ``appliedSeq``.
    ///
    /// - Parameter fromRawBody: read a webhook from its raw body, not from the compact form
    ///   ingest recorded beside it (`replay --from-raw`).
    @discardableResult
    public mutating func apply(_ event: LedgerEvent, fromRawBody: Bool = false) -> ProjectionChange {
        apply(event, input: Projector.Input(event, fromRawBody: fromRawBody))
    }

    /// The same with the event's input already read: replay reads webhook digests and effect
    /// results on another thread, ahead of the fold, and hands over a recorded decision it has
    /// re-derived byte for byte instead of having the same JSON decoded again. The input must be
    /// what `Projector.Input(event)` reads.
    @discardableResult
    public mutating func apply(_ event: LedgerEvent, input: Projector.Input) -> ProjectionChange {
        guard event.seq > appliedSeq else { return ProjectionChange() }
        appliedSeq = event.seq
        var change = ProjectionChange()
        change.input = input
        change.day = Self.day(ofMicros: event.time)
        let contact: ContactInfo?
        let address: ConversationAddress?
        switch input {
        case .webhook(let digest):
            contact = digest.contact
            address = digest.conversation?.id.flatMap { resolve(account: digest.accountId, conversation: $0) }
            if address == nil, let contact, let account = digest.accountId {
                touch(contact, account: account, event: event, previous: nil, linking: false, change: &change)
            }
        case .decision(let decision):
            contact = nil
            address = decision.conversation
        case .effectResult(_, let stream), .timerFired(_, let stream):
            contact = nil
            address = Self.address(ofStream: stream)
        case .ignored:
            return change
        }
        guard let address else { return change }
        change.conversation = address
        // The state is taken out of the store while it changes, so `before` is its only other
        // copy: fewer copies of a state's ~45 fields, and only what the event changes is copied.
        var state: ConversationState
        var wasResident = false, isNew = false
        if let resident = conversations.removeValue(forKey: address) {
            state = resident
            wasResident = true
        } else if let spilled = spill?.file.state(address) {
            state = spilled
        } else {
            // A new conversation starts from what the store knows of its customer (the reactor decides on this).
            state = newConversation(address, contact: contact)
            isNew = true
        }
        let before = state
        let previousContact = state.contact?.id
        guard var metrics = Projector.apply(input, seq: event.seq, time: event.time, to: &state, before: before) else {
            if wasResident { conversations[address] = state } // untouched
            change.before = before
            change.after = consume before
            return change
        }
        change.before = consume before
        change.after = state
        if isNew { metrics.conversationsStarted += 1 }
        let stateContact = state.contact
        conversations[address] = consume state
        if stateContact?.id != previousContact {
            if let previousContact { unlink(address, from: ContactKey(accountId: address.accountId, contactId: previousContact)) }
            if let id = stateContact?.id { link(address, to: ContactKey(accountId: address.accountId, contactId: id)) }
        }
        change.changed = true
        change.metrics += metrics
        if let contact, contact.id != nil {
            touch(stateContact ?? contact, account: address.accountId, event: event, previous: previousContact, linking: true, change: &change)
        }
        return change
    }

    /// Adds a conversation to its contact's list, in conversation id order.
    private mutating func link(_ address: ConversationAddress, to key: ContactKey) {
        loadContact(key)
        var list = conversationsByContact[key] ?? []
        guard !list.contains(address) else { return }
        list.insert(address, at: list.firstIndex { $0.conversationId > address.conversationId } ?? list.endIndex)
        conversationsByContact[key] = list
    }

    /// Removes a conversation from the list of the contact it no longer names (contacts merged).
    /// An emptied list stays, empty: it hides the spill's older copy.
    private mutating func unlink(_ address: ConversationAddress, from key: ContactKey) {
        loadContact(key)
        guard var list = conversationsByContact[key] ?? spill?.file.contact(key)?.conversations else { return }
        list.removeAll { $0 == address }
        conversationsByContact[key] = list
    }

    /// The state of a conversation seen for the first time: empty, but for the customer's other
    /// conversations as they stand now (ledger order, so a replay computes the same).
    private func newConversation(_ address: ConversationAddress, contact: ContactInfo?) -> ConversationState {
        var state = ConversationState(address: address)
        if let id = contact?.id {
            let key = ContactKey(accountId: address.accountId, contactId: id)
            let others = conversationsByContact[key] ?? spill?.file.contact(key)?.conversations ?? []
            // The newest ones only: a contact with thousands of conversations (an API channel)
            // made each new state hold, and each new conversation read, all of them.
            let earlier = others.filter { $0 != address }.suffix(ConversationState.earlierConversationLimit)
                .compactMap { self[$0] }.map(EarlierConversation.init)
            state.earlierConversations = earlier.isEmpty ? nil : earlier
        }
        return state
    }

    // MARK: - Routing

    private func resolve(account: Int?, conversation: Int) -> ConversationAddress? {
        if let account { return ConversationAddress(accountId: account, conversationId: conversation) }
        var found = Set<ConversationAddress>()
        var accounts = Set<Int>()
        for address in conversations.keys {
            accounts.insert(address.accountId)
            if address.conversationId == conversation { found.insert(address) }
        }
        if let spill {
            found.formUnion(spill.file.addresses(conversationId: conversation))
            accounts.formUnion(spill.file.storedAccounts)
        }
        if found.count > 1 { return nil } // known under several accounts: ambiguous
        if let address = found.first { return address }
        return accounts.count == 1 ? ConversationAddress(accountId: accounts.first!, conversationId: conversation) : nil
    }

    /// The conversation of an `account/conversation` stream name (see ``Domain/StreamName``).
    public static func address(ofStream stream: String) -> ConversationAddress? {
        let parts = stream.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let account = Int(parts[0]), let conversation = Int(parts[1]) else { return nil }
        return ConversationAddress(accountId: account, conversationId: conversation)
    }

    static func day(ofMicros micros: Int64) -> Int64 {
        micros >= 0 ? micros / 86_400_000_000 : (micros - 86_399_999_999) / 86_400_000_000
    }

    // MARK: - Contacts

    /// Records the contact named by an event. `linking` ties it to the conversation of the
    /// event: a conversation whose customer changes (Chatwoot merged contacts) moves its count.
    private mutating func touch(_ info: ContactInfo, account: Int, event: LedgerEvent, previous: Int?, linking: Bool,
                                change: inout ProjectionChange) {
        guard let id = info.id else { return }
        let key = ContactKey(accountId: account, contactId: id)
        loadContact(key)
        var record = contacts[key] ?? ContactRecord(key: key, info: info, firstSeenAt: event.time, lastSeenAt: event.time, updatedSeq: event.seq)
        record.info = info
        record.firstSeenAt = min(record.firstSeenAt, event.time)
        record.lastSeenAt = max(record.lastSeenAt, event.time)
        record.updatedSeq = event.seq
        if linking && previous != id {
            record.conversations += 1
            if let previous {
                let previousKey = ContactKey(accountId: account, contactId: previous)
                loadContact(previousKey)
                if var old = contacts[previousKey] {
                    old.conversations -= 1
                    old.updatedSeq = event.seq
                    contacts[previousKey] = old
                    change.contacts.append(previousKey)
                }
            }
        }
        contacts[key] = record
        change.contacts.append(key)
    }
}
