import Chatwoot
import Ledger
import Policy
import Projections

/// The private note posted for agents at a hand-off: why, who, what they want, what the bot
/// collected and found, and the customer's last words — so nobody has to scroll and re-ask.
/// Markdown-light (bold labels, quotes, lists), which Chatwoot renders in private notes.
struct HandoffNote {
    let policy: Policy
    let state: ConversationState
    let slots: [String: String]
    let authenticated: Bool
    let reason: String
    let intent: Projections.IntentScore?
    /// The deciding event's time (µs): how long the customer has waited is measured to it.
    let now: Int64

    var markdown: String {
        var lines: [String] = ["**Bot hand-off** — \(reason)"]
        var who: [String] = []
        if let name = state.contact?.name { who.append(name) }
        if let email = state.contact?.email ?? slots["contact.email"] ?? slots["email"] { who.append(email) }
        if let phone = state.contact?.phone { who.append(phone) }
        let verified = authenticated ? "verified by the bot" : "not verified"
        lines.append("**Customer:** " + (who.isEmpty ? "unknown" : who.joined(separator: " · ")) + " (\(verified))")
        if let intent = intent ?? state.lastIntent {
            let confidence = intent.confidence.map { " (\(Int(($0 * 100).rounded()))%)" } ?? ""
            lines.append("**Wants:** \(intent.name)\(confidence)")
        }
        if !slots.isEmpty {
            let collected = slots.keys.sorted().map { key in
                let name = key.hasPrefix(ConversationState.contactSlotPrefix) ? String(key.dropFirst(ConversationState.contactSlotPrefix.count)) : key
                return "\(name): \(slots[key]!)"
            }
            lines.append("**Collected:** " + collected.joined(separator: ", "))
        }
        for name in state.lookups.keys.sorted() {
            guard let answer = state.lookups[name] else { continue }
            let found = answer["found"]?.boolValue == true
            let fields = (answer["fields"]?.objectValue ?? [:]).keys.sorted().compactMap { key -> String? in
                guard let text = answer["fields"]?[key]?.scalarText else { return nil }
                return "\(key)=\(text)"
            }
            lines.append("**Looked up \(name):** " + (found ? fields.joined(separator: ", ") : "not found"))
        }
        if state.consecutiveFallbacks > 0 { lines.append("**Not understood:** \(state.consecutiveFallbacks) message(s) in a row") }
        if let first = state.firstCustomerMessageAt, now > first {
            lines.append("**Waiting since first message:** \(Self.duration(micros: now - first))")
        }
        if !state.lastCustomerMessages.isEmpty {
            lines.append("**Last messages:**")
            for input in state.lastCustomerMessages.suffix(3) where !input.text.isEmpty {
                lines.append("> " + String(input.text.prefix(300)).replacingNewlines())
            }
        }
        lines.append("_\(policy.id)_")
        return lines.joined(separator: "\n")
    }

    static func duration(micros: Int64) -> String {
        let seconds = micros / 1_000_000
        if seconds < 60 { return "\(seconds) s" }
        if seconds < 3600 { return "\(seconds / 60) min" }
        return "\(seconds / 3600) h \((seconds % 3600) / 60) min"
    }
}

extension String {
    func replacingNewlines() -> String {
        String(map { $0.isNewline ? " " : $0 })
    }
}
