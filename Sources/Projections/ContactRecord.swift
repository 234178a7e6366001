import Ledger

/// Identifies a contact: contact ids are per Chatwoot installation, kept with their account.
public struct ContactKey: Sendable, Hashable, Comparable, Codable {
    public var accountId: Int
    public var contactId: Int

    public init(accountId: Int, contactId: Int) {
        self.accountId = accountId
        self.contactId = contactId
    }

    public static func < (lhs: ContactKey, rhs: ContactKey) -> Bool {
        (lhs.accountId, lhs.contactId) < (rhs.accountId, rhs.contactId)
    }
}

/// A contact as the projection knows them, across conversations.
public struct ContactRecord: Sendable, Equatable, Codable {
    public var key: ContactKey
    public var info: ContactInfo
    /// Conversations whose customer this contact is.
    public var conversations = 0
    /// Recorded times of the first and last events naming the contact (µs since 1970).
    public var firstSeenAt: Int64
    public var lastSeenAt: Int64
    public var updatedSeq: Seq

    public init(key: ContactKey, info: ContactInfo, conversations: Int = 0, firstSeenAt: Int64, lastSeenAt: Int64, updatedSeq: Seq) {
        self.key = key
        self.info = info
        self.conversations = conversations
        self.firstSeenAt = firstSeenAt
        self.lastSeenAt = lastSeenAt
        self.updatedSeq = updatedSeq
    }
}
