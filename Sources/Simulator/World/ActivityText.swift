/// The texts of the activity messages Chatwoot writes into a conversation (`config/locales/en.yml`).
///
/// Activity messages are never sent to the bot; they appear only in the transcript.
public enum ActivityText {
    /// Written when a webhook delivery for a message event fails and the conversation is moved
    /// from `pending` to `open` (docs/chatwoot-protocol.md §3.4, `error_moved_to_open`).
    public static let botErrorMovedToOpen =
        "Conversation was marked open by system due to an error with the agent bot."

    /// Written when an incoming message reopens a resolved or snoozed conversation.
    public static let systemAutoOpen = "System reopened the conversation due to a new incoming message."

    static func statusChanged(to status: String, by name: String) -> String {
        switch status {
        case "resolved": "Conversation was marked resolved by \(name)"
        case "open": "Conversation was reopened by \(name)"
        case "snoozed": "Conversation was snoozed by \(name)"
        default: "Conversation was marked as \(status) by \(name)"
        }
    }

    static func assigned(to assignee: String, by name: String) -> String {
        "Assigned to \(assignee) by \(name)"
    }

    static func unassigned(by name: String) -> String {
        "Conversation unassigned by \(name)"
    }

    static func teamAssigned(to team: String, by name: String) -> String {
        "Assigned to \(team) team by \(name)"
    }
}
