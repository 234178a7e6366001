import Chatwoot
import Domain
import Foundation
import Ledger
import Projections

/// A conversation's history as the ledger recorded it — every webhook, decision (with its
/// explanation), effect and status change — each traceable to its ledger seq.
public struct Timeline: Sendable {
    public var conversation: ConversationAddress
    public var entries: [Entry]
    /// The state after the last event (status, contact, slots…).
    public var state: ConversationState?

    public struct Entry: Sendable {
        public enum Kind: String, Sendable {
            /// A message or widget answer, by who wrote it.
            case customer, bot, agent, note, system
            /// A webhook with no message (status events, updates).
            case event
            case decision
            case effect
            /// A status change seen in the payloads (and who caused it).
            case status
            case duplicate, rejected
        }

        public var seq: Seq
        public var time: Int64
        public var kind: Kind
        /// One line for people.
        public var summary: String
        /// Structured details (for JSON and the HTML page).
        public var details: [String: JSONValue]
        /// The event's body (JSON), for `--raw`.
        public var raw: String?
    }

    /// Reads the conversation's events from the ledger (the index finds where they are).
    /// - Throws: ledger errors; ``AuditError`` when the conversation is not in the ledger.
    public static func build(directory: LedgerDirectory, conversation: Int, account: Int? = nil, includeRaw: Bool = false) throws -> Timeline {
        let index = try LedgerIndex(path: directory.indexPath, ledgerID: directory.readManifest(), readOnly: true)
        let suffix = "/\(conversation)"
        // Events durable in the ledger but not indexed yet — a crash between the two, or an index
        // that stopped after repeated failures — are read from the ledger itself: an audit right
        // after a crash must not miss the newest events.
        let indexedThrough = try index.lastFrame()?.lastSeq ?? 0
        var unindexed: [LedgerEvent] = []
        let tail = try LedgerCursor(directory: directory, from: indexedThrough + 1)
        while let event = try tail.next() {
            if event.stream.hasSuffix(suffix) { unindexed.append(event) }
        }
        let found = Array(Set(try index.connection.query(
            "SELECT DISTINCT stream FROM events WHERE stream LIKE ?", [.text("%\(suffix)")]) { $0.text(0) } + unindexed.map(\.stream))).sorted()
        let address = try choose(conversation: conversation, account: account, streams: found)
        let wantedStreams = Set(streams(of: address, among: found))
        let seqs = try wantedStreams.flatMap { try index.seqs(inStream: $0) }.sorted()
        var events: [LedgerEvent] = []
        if let first = seqs.first, let last = seqs.last {
            let wanted = Set(seqs)
            let cursor = try LedgerCursor(directory: directory, from: first, through: last)
            while let event = try cursor.next(), event.seq <= last {
                if wanted.contains(event.seq) { events.append(event) }
            }
        }
        events += unindexed.filter { wantedStreams.contains($0.stream) && $0.seq > (seqs.last ?? 0) }
        guard !events.isEmpty else { throw AuditError("conversation \(address.accountId)/\(conversation) is not in the ledger") }
        return build(address: address, events: events, includeRaw: includeRaw)
    }

    /// The timeline of `address` from its events (in seq order), however they were read.
    public static func build(address: ConversationAddress, events: [LedgerEvent], includeRaw: Bool = false) -> Timeline {
        var builder = TimelineBuilder(address: address, includeRaw: includeRaw)
        for event in events { builder.add(event) }
        return Timeline(conversation: address, entries: builder.entries, state: builder.state)
    }

    /// The streams holding a conversation's events: its own, and webhooks whose account was
    /// unknown — those only while no other account has a conversation with that id (`found`: the
    /// streams ending in `/id` now): otherwise they may be another account's, and would show its
    /// customer's messages here. The projections decide when each webhook is folded, so one
    /// folded while the id was in one account only, before another account had it, is in the
    /// projected state but not in this timeline.
    public static func streams(of address: ConversationAddress, among found: [String]) -> [String] {
        let own = "\(address.accountId)/\(address.conversationId)"
        let accounts = Set(found.filter { !$0.hasPrefix("?/") })
        return accounts.subtracting([own]).isEmpty ? [own, "?/\(address.conversationId)"] : [own]
    }

    /// Picks the account of `conversation` among the streams that end in `/conversation`.
    /// - Throws: ``AuditError`` when it is not in the ledger, or in several accounts and none was given.
    public static func choose(conversation: Int, account: Int?, streams: [String]) throws -> ConversationAddress {
        let accounts = streams.compactMap { stream -> Int? in stream.split(separator: "/").first.flatMap { Int($0) } }
        let chosen: Int
        if let account {
            chosen = account
        } else if Set(accounts).count == 1 {
            chosen = accounts[0]
        } else if accounts.isEmpty {
            throw AuditError("conversation \(conversation) is not in the ledger")
        } else {
            throw AuditError("conversation \(conversation) exists in accounts \(Set(accounts).sorted().map(String.init).joined(separator: ", ")); pass --account",
                             isAmbiguous: true)
        }
        return ConversationAddress(accountId: chosen, conversationId: conversation)
    }
}

public struct AuditError: Error, CustomStringConvertible {
    public var description: String
    /// The id exists in several accounts and none was named (not a missing conversation).
    public var isAmbiguous = false
    public init(_ description: String, isAmbiguous: Bool = false) {
        self.description = description
        self.isAmbiguous = isAmbiguous
    }
}

/// Turns events into entries, folding the state alongside to see status changes.
struct TimelineBuilder {
    let address: ConversationAddress
    let includeRaw: Bool
    var state: ConversationState?
    var entries: [Timeline.Entry] = []

    init(address: ConversationAddress, includeRaw: Bool) {
        self.address = address
        self.includeRaw = includeRaw
    }

    mutating func add(_ event: LedgerEvent) {
        let before = state
        var after = state ?? ConversationState(address: address)
        Projector.apply(event, to: &after)
        state = after
        let raw = includeRaw ? String(decoding: event.body, as: UTF8.self) : nil
        func entry(_ kind: Timeline.Entry.Kind, _ summary: String, _ details: [String: JSONValue] = [:]) {
            entries.append(Timeline.Entry(seq: event.seq, time: event.time, kind: kind, summary: summary, details: details, raw: raw))
        }
        switch event.type {
        case EventType.webhookReceived:
            addWebhook(event, entry: entry)
        case EventType.webhookDuplicate:
            entry(.duplicate, "redelivery of seq \(event.causation.map(String.init) ?? "?") (ignored)")
        case EventType.webhookRejected:
            entry(.rejected, "delivery rejected: " + String(decoding: event.meta.prefix(200), as: UTF8.self))
        case EventType.decision:
            guard let decision = try? Decision.decode(event.body) else { return entry(.decision, "undecodable decision") }
            entry(.decision, Self.describe(decision, input: event.causation), Self.details(decision, input: event.causation))
        case EventType.effectResult:
            guard let result = try? EffectResult.decode(event.body) else { return entry(.effect, "undecodable effect result") }
            entry(.effect, Self.describe(result), Self.details(result))
        default:
            entry(.event, event.type)
        }
        // A later payload can correct the last change: who made it (a customer's message that
        // reopened the conversation, seen after the status event) or when. The line already
        // written for it says so too, as the projections and the summary do.
        if after.status == before?.status, let corrected = after.transitions.last, let previous = before?.transitions.last,
           corrected.seq == previous.seq, corrected.cause != previous.cause || corrected.at != previous.at,
           let line = entries.lastIndex(where: { $0.kind == .status && $0.seq == corrected.seq }) {
            entries[line] = Self.statusEntry(seq: corrected.seq, time: corrected.at, from: corrected.from, to: corrected.to, cause: corrected.cause)
        }
        if after.status != before?.status, let status = after.status {
            entries.append(Self.statusEntry(seq: event.seq, time: after.statusChangedAt ?? event.time, from: before?.status, to: status, cause: after.statusCause))
        }
    }

    /// The line of a status change: `from → to (cause)`.
    static func statusEntry(seq: Seq, time: Int64, from: ConversationStatus?, to: ConversationStatus, cause: StatusCause?) -> Timeline.Entry {
        let cause = cause.map(describe) ?? "first seen"
        return Timeline.Entry(seq: seq, time: time, kind: .status, summary: "\(from?.rawValue ?? "—") → \(to.rawValue) (\(cause))",
                              details: ["from": from.map { .string($0.rawValue) } ?? .null, "to": .string(to.rawValue), "cause": .string(cause)], raw: nil)
    }

    private func addWebhook(_ event: LedgerEvent, entry: (Timeline.Entry.Kind, String, [String: JSONValue]) -> Void) {
        guard let digest = WebhookDigest(body: event.body) else { return entry(.event, "webhook (not JSON)", [:]) }
        let name = (try? JSONDecoder().decode(EventName.self, from: Data(event.body)))?.event ?? "webhook"
        guard let message = digest.message else { return entry(.event, name, ["event": .string(name)]) }
        var details: [String: JSONValue] = ["event": .string(name)]
        if let id = message.id { details["message_id"] = .int(id) }
        if let source = message.sourceId { details["source_id"] = .string(source) }
        if digest.kind == .messageUpdated {
            guard let answer = message.answer else { return entry(.event, "\(name) (message \(message.id.map(String.init) ?? "?"))", details) }
            details["answer"] = .string(answer.text ?? "")
            return entry(.customer, "answered the widget: \"\(answer.text ?? "")\"", details)
        }
        let text = message.content ?? ""
        let kind: Timeline.Entry.Kind
        if message.isPrivate {
            kind = .note
        } else if message.messageType == .incoming {
            kind = .customer
        } else if message.senderKind == .agentBot || message.senderKind == .captainAssistant {
            kind = .bot
        } else if message.senderKind == .user {
            kind = .agent
        } else {
            kind = .system
        }
        var summary = "\"\(text)\""
        if let type = message.contentType, type != .text { summary += " [\(type.rawValue)]" }
        // Only the bot's own messages echo a decision: a customer's `source_id` is the channel's
        // (an email's Message-ID), and could be written to look like one.
        if message.messageType == .outgoing, message.senderKind == .agentBot, let source = message.sourceId, let origin = EffectSourceID.parse(source) {
            summary += " (echo of decision \(origin.decision))"
        }
        entry(kind, summary, details)
    }

    static func describe(_ cause: StatusCause) -> String {
        switch cause {
        case .bot: "by the bot"
        case .customer: "by the customer's message"
        case .agent(let id): id.map { "by agent #\($0)" } ?? "by Chatwoot or an agent"
        }
    }

    static func describe(_ decision: Decision, input: Seq?) -> String {
        let explanation = decision.explanation
        var parts: [String] = []
        if let rule = explanation["rule"]?.stringValue { parts.append(rule) }
        if let name = explanation["intent"]?["name"]?.stringValue {
            parts.append("intent \(name)" + (explanation["intent"]?["confidence"]?.doubleValue.map { String(format: " (%.2f)", $0) } ?? ""))
        }
        if explanation["fallback"]?.boolValue == true { parts.append("not understood") }
        for command in decision.commands {
            switch command {
            case .sendMessage(let message) where message.isPrivate: parts.append("private note")
            case .sendMessage(let message):
                let text = message.content ?? ""
                parts.append("says \"\(text.count > 80 ? String(text.prefix(77)) + "…" : text)\"" + (message.contentType == .text ? "" : " [\(message.contentType.rawValue)]"))
            case .setStatus(let change): parts.append("sets status \(Self.status(change))")
            case .lookup(let call): parts.append("looks up \(call.name)")
            case .setPriority(let priority): parts.append("priority \(priority?.rawValue ?? "none")")
            case .assign: parts.append("assigns")
            default: parts.append(command.kind)
            }
        }
        if let reason = explanation["handoff"]?["reason"]?.stringValue { parts.append("hand-off: \(reason)") }
        return parts.joined(separator: " · ") + (input.map { " (input seq \($0))" } ?? "")
    }

    static func status(_ change: ConversationStatusChange) -> String {
        switch change {
        case .open: "open"
        case .pending: "pending"
        case .resolved: "resolved"
        case .snoozed: "snoozed"
        }
    }

    static func details(_ decision: Decision, input: Seq?) -> [String: JSONValue] {
        var details: [String: JSONValue] = ["explanation": decision.explanation, "policy": decision.policy.map(JSONValue.string) ?? .null,
                                            "commands": .array(decision.commands.map { .string($0.kind) })]
        if let input { details["input_seq"] = .int(Int(input)) }
        if let data = try? decision.encoded(), let value = try? JSONDecoder().decode(JSONValue.self, from: Data(data)) { details["decision"] = value }
        return details
    }

    static func describe(_ result: EffectResult) -> String {
        var parts = ["\(result.kind) \(result.outcome.rawValue)"]
        if let id = result.messageId { parts.append("message \(id)") }
        if let status = result.status { parts.append("HTTP \(status)") }
        parts.append("\(result.latencyMilliseconds) ms")
        parts.append("\(result.attempts) attempt\(result.attempts == 1 ? "" : "s")")
        if let answer = LookupAnswer(result.data) {
            let fields = answer.fields.keys.sorted().compactMap { key in answer.fields[key]?.scalarText.map { "\(key)=\($0)" } }
            parts.append(answer.found ? "found " + fields.joined(separator: ", ") : "not found")
        }
        if let error = result.error { parts.append("error: \(error.prefix(160))") }
        return parts.joined(separator: " · ") + " (decision \(result.decision), command \(result.command))"
    }

    static func details(_ result: EffectResult) -> [String: JSONValue] {
        guard let data = try? result.encoded(), let value = try? JSONDecoder().decode(JSONValue.self, from: Data(data)) else { return [:] }
        return ["result": value]
    }
}

private struct EventName: Decodable {
    var event: String?
}
