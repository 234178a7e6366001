import Foundation

/// The target of `POST …/toggle_status` (docs/chatwoot-protocol.md §7.3).
///
/// Hand-off to humans is `.open`. Snoozed conversations reopen (to `open`) when the contact
/// next writes.
public enum ConversationStatusChange: Sendable, Hashable {
    case open
    case resolved
    case pending
    /// Sent as `snoozed_until` in Unix seconds (fraction dropped); `nil` snoozes until the next reply.
    case snoozed(until: Date?)

    /// The request body.
    public var jsonValue: JSONValue {
        switch self {
        case .open: ["status": "open"]
        case .resolved: ["status": "resolved"]
        case .pending: ["status": "pending"]
        case .snoozed(let until?):
            ["status": "snoozed", "snoozed_until": .int(Int(until.timeIntervalSince1970.rounded(.down)))]
        case .snoozed(nil): ["status": "snoozed"]
        }
    }
}
