import Chatwoot

/// A customer (Chatwoot `Contact`).
public struct SimulatedContact: Sendable, Hashable {
    public internal(set) var id: Int
    public internal(set) var accountId: Int
    public internal(set) var name: String
    /// Set by the customer's answer to an `input_email` message, as the widget does.
    public internal(set) var email: String?
    public internal(set) var phoneNumber: String?
    public internal(set) var identifier: String?
    public internal(set) var additionalAttributes: [String: JSONValue]
    public internal(set) var customAttributes: [String: JSONValue]
    /// A blocked contact's new conversations start `resolved` and its messages reopen nothing (§8).
    public internal(set) var blocked: Bool
}
