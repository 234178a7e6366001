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
public struct ConversationStore: Sendable, Equatable {
    public private(set) var conversations: [ConversationAddress: ConversationState] = [:]
    public private(set) var contacts: [ContactKey: ContactRecord] = [:]
    /// The last seq folded; events at or below it are skipped.
    public private(set) var appliedSeq: Seq = 0

    public init() {}

    /// The conversations of each contact (derived: rebuilt from the states on load).
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

    public subscript(address: ConversationAddress) -> ConversationState? { conversations[address] }

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
        let existing = conversations[address]
        change.conversation = address
        var state = existing ?? newConversation(address, contact: contact)
        // A new conversation starts from what the store knows of its customer (the reactor decides on this).
        change.before = existing ?? state
        let previousContact = state.contact?.id
        guard var metrics = Projector.apply(input, seq: event.seq, time: event.time, to: &state) else {
            change.after = change.before
            return change
        }
        change.after = state
        if existing == nil { metrics.conversationsStarted += 1 }
        if let id = state.contact?.id, state.contact?.id != previousContact {
            let key = ContactKey(accountId: address.accountId, contactId: id)
            if !conversationsByContact[key, default: []].contains(address) { conversationsByContact[key, default: []].append(address) }
        }
        conversations[address] = state
        change.changed = true
        change.metrics += metrics
        if let contact, contact.id != nil {
            touch(state.contact ?? contact, account: address.accountId, event: event, previous: previousContact, linking: true, change: &change)
        }
        return change
    }

    /// The state of a conversation seen for the first time: empty, but for the customer's other
    /// conversations as they stand now (ledger order, so a replay computes the same).
    private func newConversation(_ address: ConversationAddress, contact: ContactInfo?) -> ConversationState {
        var state = ConversationState(address: address)
        if let id = contact?.id {
            let others = conversationsByContact[ContactKey(accountId: address.accountId, contactId: id)] ?? []
            let earlier = others.filter { $0 != address }.compactMap { conversations[$0] }.map(EarlierConversation.init)
            state.earlierConversations = earlier.isEmpty ? nil : earlier
        }
        return state
    }

    // MARK: - Routing

    private func resolve(account: Int?, conversation: Int) -> ConversationAddress? {
        if let account { return ConversationAddress(accountId: account, conversationId: conversation) }
        var found: ConversationAddress?
        var accounts = Set<Int>()
        for address in conversations.keys {
            accounts.insert(address.accountId)
            if address.conversationId == conversation {
                if found != nil { return nil } // known under several accounts: ambiguous
                found = address
            }
        }
        if let found { return found }
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
        var record = contacts[key] ?? ContactRecord(key: key, info: info, firstSeenAt: event.time, lastSeenAt: event.time, updatedSeq: event.seq)
        record.info = info
        record.firstSeenAt = min(record.firstSeenAt, event.time)
        record.lastSeenAt = max(record.lastSeenAt, event.time)
        record.updatedSeq = event.seq
        if linking && previous != id {
            record.conversations += 1
            if let previous, var old = contacts[ContactKey(accountId: account, contactId: previous)] {
                old.conversations -= 1
                old.updatedSeq = event.seq
                contacts[old.key] = old
                change.contacts.append(old.key)
            }
        }
        contacts[key] = record
        change.contacts.append(key)
    }
}
