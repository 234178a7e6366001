import Chatwoot
import Foundation
import Ledger
import Projections

/// The one formatter of timelines: text for people, JSON for scripts, HTML for the browser (the
/// CLI's `--format html` and the server's `GET /conversations/{id}` share it).
public enum TimelineRendering {
    public static func text(_ timeline: Timeline) -> String {
        var out = header(timeline).map { $0 + "\n" }.joined()
        out += "\n"
        for entry in timeline.entries {
            let seq = String(entry.seq).leftPadded(7)
            out += "\(seq)  \(Timestamp.iso8601(micros: entry.time))  \(entry.kind.rawValue.padding(toLength: 9, withPad: " ", startingAt: 0)) \(printable(entry.summary))\n"
            if let raw = entry.raw { out += "         raw: \(printable(raw))\n" }
            if entry.kind == .decision, let nlu = entry.details["explanation"]?["nlu"]?["ranking"]?.arrayValue, !nlu.isEmpty {
                let ranking = nlu.compactMap { item -> String? in
                    guard let intent = item["intent"]?.stringValue, let confidence = item["confidence"]?.doubleValue else { return nil }
                    return "\(intent) \(String(format: "%.2f", confidence))"
                }.joined(separator: ", ")
                out += "                                        nlu: \(printable(ranking))\n"
            }
            if entry.kind == .decision, let steps = entry.details["explanation"]?["steps"]?.arrayValue, !steps.isEmpty {
                out += "                                        why: " + printable(steps.compactMap(\.stringValue).joined(separator: "; ")) + "\n"
            }
        }
        return out
    }

    static func header(_ timeline: Timeline) -> [String] {
        let address = timeline.conversation
        var lines = ["Conversation \(address.conversationId) (account \(address.accountId))"]
        guard let state = timeline.state else { return lines }
        var who = [state.contact?.name, state.contact?.email].compactMap { $0 }.joined(separator: " <") + (state.contact?.email != nil && state.contact?.name != nil ? ">" : "")
        if who.isEmpty { who = "unknown contact" }
        lines.append("customer: \(who); inbox \(state.inboxId.map(String.init) ?? "?"); status \(state.status?.rawValue ?? "?")"
                     + (state.handoffReason.map { "; last hand-off: \($0)" } ?? ""))
        lines.append("messages: \(state.counts.customer) from the customer, \(state.counts.bot) from bots, \(state.counts.humanAgent) from agents, \(state.counts.privateNotes) private notes"
                     + (state.slots.isEmpty ? "" : "; slots: " + state.slots.keys.sorted().map { "\($0)=\(state.slots[$0]!)" }.joined(separator: ", ")))
        return lines.map(printable)
    }

    /// Text as it may reach a terminal, on one line: line breaks become `⏎`, and other control
    /// characters and bidirectional overrides `\u{…}`. Customer text (a message, a contact's name)
    /// can then neither forge a timeline line ("ok\n   4711 … decision …") nor move the cursor or
    /// reorder what is shown. JSON and HTML escape in their own way.
    static func printable(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: needsEscaping) else { return text }
        var out = ""
        for scalar in text.unicodeScalars {
            if scalar == "\n" || scalar == "\r" {
                out += "⏎"
            } else if needsEscaping(scalar) {
                out += "\\u{" + String(scalar.value, radix: 16) + "}"
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    private static func needsEscaping(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0..<0x20, 0x7F..<0xA0, 0x202A...0x202E, 0x2066...0x2069, 0x200E, 0x200F, 0x061C: true
        default: false
        }
    }

    public static func json(_ timeline: Timeline) -> JSONValue {
        var object: [String: JSONValue] = [
            "account": .int(timeline.conversation.accountId), "conversation": .int(timeline.conversation.conversationId),
            "entries": .array(timeline.entries.map { entry in
                var value: [String: JSONValue] = ["seq": .int(Int(entry.seq)), "time": .string(Timestamp.iso8601(micros: entry.time)),
                                                  "kind": .string(entry.kind.rawValue), "summary": .string(entry.summary)]
                if !entry.details.isEmpty { value["details"] = .object(entry.details) }
                if let raw = entry.raw { value["raw"] = .string(raw) }
                return .object(value)
            }),
        ]
        if let state = timeline.state {
            object["status"] = state.status.map { .string($0.rawValue) } ?? .null
            object["contact"] = .object(["name": state.contact?.name.map(JSONValue.string) ?? .null, "email": state.contact?.email.map(JSONValue.string) ?? .null])
            object["slots"] = .object(state.slots.mapValues(JSONValue.string))
            object["handoff_reason"] = state.handoffReason.map(JSONValue.string) ?? .null
        }
        return .object(object)
    }

    /// A self-contained page (no scripts, no external assets).
    public static func html(_ timeline: Timeline, title: String? = nil, backLink: String? = nil) -> String {
        let address = timeline.conversation
        var rows = ""
        for entry in timeline.entries {
            var detail = ""
            if entry.kind == .decision {
                let explanation = entry.details["explanation"]
                if let ranking = explanation?["nlu"]?["ranking"]?.arrayValue, !ranking.isEmpty {
                    detail += "<div class=nlu>NLU: " + ranking.compactMap { item -> String? in
                        guard let intent = item["intent"]?.stringValue, let confidence = item["confidence"]?.doubleValue else { return nil }
                        return escape(intent) + " " + String(format: "%.2f", confidence)
                    }.joined(separator: ", ") + "</div>"
                }
                if let steps = explanation?["steps"]?.arrayValue, !steps.isEmpty {
                    detail += "<div class=why>Why: " + escape(steps.compactMap(\.stringValue).joined(separator: "; ")) + "</div>"
                }
                if let policy = entry.details["policy"]?.stringValue { detail += "<div class=policy>" + escape(policy) + "</div>" }
            }
            if let raw = entry.raw { detail += "<details><summary>raw</summary><pre>" + escape(raw) + "</pre></details>" }
            rows += "<tr class=\"\(entry.kind.rawValue)\" id=\"seq-\(entry.seq)\"><td class=seq><a href=\"#seq-\(entry.seq)\">\(entry.seq)</a></td>"
                + "<td class=time>\(escape(Timestamp.iso8601(micros: entry.time)))</td><td class=kind>\(entry.kind.rawValue)</td>"
                + "<td class=summary>\(escape(entry.summary))\(detail)</td></tr>\n"
        }
        let heading = title ?? "Conversation \(address.conversationId)"
        let facts = header(timeline).dropFirst().map { "<p class=fact>" + escape($0) + "</p>" }.joined()
        return page(title: heading, body: (backLink.map { "<p><a href=\"\(escape($0))\">← all conversations</a></p>" } ?? "")
            + "<h1>\(escape(heading))</h1><p class=fact>account \(address.accountId)</p>\(facts)"
            + "<table id=timeline><thead><tr><th>seq</th><th>time (UTC)</th><th>what</th><th>details</th></tr></thead><tbody>\n\(rows)</tbody></table>")
    }

    /// The list of recent conversations (status, last intent, hand-off reason), newest first.
    public static func listHTML(_ conversations: [ConversationState], linkPrefix: String) -> String {
        var rows = ""
        for state in conversations {
            let address = state.address
            let link = "\(linkPrefix)\(address.conversationId)?account=\(address.accountId)"
            rows += "<tr><td><a href=\"\(escape(link))\">\(address.accountId)/\(address.conversationId)</a></td>"
                + "<td>\(escape(state.contact?.name ?? "—"))</td><td class=status>\(escape(state.status?.rawValue ?? "?"))</td>"
                + "<td>\(escape(state.lastIntent?.name ?? "—"))</td><td>\(escape(state.handoffReason ?? "—"))</td>"
                + "<td>\(state.lastEventAt.map { escape(Timestamp.iso8601(micros: $0)) } ?? "—")</td></tr>\n"
        }
        return page(title: "Conversations", body: "<h1>Conversations</h1><table id=conversations><thead><tr><th>conversation</th><th>customer</th><th>status</th><th>last intent</th><th>hand-off reason</th><th>last event (UTC)</th></tr></thead><tbody>\n\(rows)</tbody></table>")
    }

    static func page(title: String, body: String) -> String {
        """
        <!doctype html><html lang=en><head><meta charset=utf-8><meta name=viewport content="width=device-width,initial-scale=1">
        <title>\(escape(title)) — Ledgerbot</title><style>
        body{font:14px/1.4 system-ui,sans-serif;margin:1.5rem;color:#222}table{border-collapse:collapse;width:100%}
        td,th{border-bottom:1px solid #ddd;padding:.3rem .5rem;text-align:left;vertical-align:top}th{background:#f4f4f4}
        .seq,.time{white-space:nowrap;font-family:monospace;color:#666}.kind{font-weight:600}
        tr.customer .kind{color:#0a7}tr.bot .kind{color:#06c}tr.agent .kind{color:#080}tr.note .kind{color:#a60}
        tr.decision{background:#f7f9ff}tr.status{background:#fff4f4}tr.effect{color:#555}.nlu,.why,.policy{font-size:12px;color:#555}
        pre{white-space:pre-wrap;word-break:break-all;font-size:11px}.fact{margin:.2rem 0;color:#444}
        </style></head><body>\(body)</body></html>
        """
    }

    /// Text for HTML, by Unicode scalar: a `Character` would not do, because a combining or
    /// "prepend" scalar (U+0600 before `<`) makes one grapheme of the bracket and itself, which
    /// compares unequal to `"<"` and would pass through unescaped.
    public static func escape(_ text: String) -> String {
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out.append(contentsOf: "&amp;".unicodeScalars)
            case "<": out.append(contentsOf: "&lt;".unicodeScalars)
            case ">": out.append(contentsOf: "&gt;".unicodeScalars)
            case "\"": out.append(contentsOf: "&quot;".unicodeScalars)
            case "'": out.append(contentsOf: "&#39;".unicodeScalars)
            default: out.append(scalar)
            }
        }
        return String(out)
    }
}

extension String {
    func leftPadded(_ width: Int) -> String { count >= width ? self : String(repeating: " ", count: width - count) + self }
}
