import ArgumentParser
import AsyncHTTPClient
import HTTPSupport
import Audit
import BotRuntime
import Effects
import Logging
import Chatwoot
import Domain
import Engine
import Foundation
import Ledger
import Policy
import PostgresLedger

struct ReplayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Re-derive every decision from the ledger and compare it with the recorded one.",
        discussion: """
            Without --policy: re-runs the projections and the reactor over the recorded inputs and \
            recorded effect results, under the policy versions recorded in the ledger. Every decision \
            must come out identical: exit 0 when all are, 1 when any differs (each difference is \
            printed), 2 on error.

            With --policy FILE: what-if under another bot version. Reports, per conversation, the \
            first divergence and each changed decision side by side, then totals. Customer inputs \
            stay as recorded, so after a divergence the customer might have answered differently. \
            Exit 1 when any decision changes (a CI gate can also read --format json).

            With --policy FILE --live: the read-only effects the new version asks that were never \
            recorded — lookups with GET and calls to a stateless NLU service (Rasa) — are performed \
            now (lookup URLs take ${VAR} from the environment, as in serve) and each turn continues \
            with their answers. POST actions, Chatwoot calls and calls to Dialogflow or Lex (each \
            moves the live conversation's dialog on and may run its fulfillment) are never \
            performed; they are listed as not performed.
            """
    )

    @OptionGroup var store: StoreOptions
    @Option(help: ArgumentHelp("Replay under this policy instead of the recorded ones (what-if).", valueName: "FILE")) var policy: String?
    @Option(help: ArgumentHelp("Only this conversation (the id in Chatwoot's URLs).", valueName: "ID")) var conversation: Int?
    @Option(help: ArgumentHelp("Only this account (with several accounts in one ledger).", valueName: "N")) var account: Int?
    @Option(help: ArgumentHelp("Only conversations of this inbox.", valueName: "N")) var inbox: Int?
    @Option(help: ArgumentHelp("Only inputs at or after this time (ISO 8601, e.g. 2026-11-01T00:00:00Z).", valueName: "TIME")) var since: String?
    @Option(help: ArgumentHelp("Only inputs at or before this time (ISO 8601; a time in whole seconds includes that whole second).", valueName: "TIME")) var until: String?
    @Option(help: "text or json.") var format: OutputFormat = .text
    @Option(help: ArgumentHelp("Show at most this many changed decisions per conversation in text output.", valueName: "N")) var limit = 20
    @Option(help: ArgumentHelp("Also write the report as a page a person can browse.", valueName: "FILE")) var html: String?
    @Flag(help: "With --policy: perform never-recorded read-only lookups (GET) and NLU calls, and continue the turn with their answers.")
    var live = false
    @Flag(name: .customLong("from-raw"), help: "Read every webhook from its raw body, not from the compact form ingest recorded beside it (slower; rules that form out when hunting a difference).")
    var fromRaw = false
    @Option(help: ArgumentHelp("1 replays on one thread; 2 (the default with two cores or more) reads a ledger directory on a second thread, ahead of the fold and the reactor: about 2× faster. Same report either way.", valueName: "N"))
    var threads: Int?
    @Option(name: .customLong("resident-conversations"),
            help: ArgumentHelp("Keep about N conversation states in memory and the others in a temporary file under TMPDIR until an event needs them, so memory does not grow with the ledger (default \(Replayer.Options.defaultResidentConversations); 0 keeps them all in memory). Same report either way.", valueName: "N"))
    var residentConversations: Int?

    func validate() throws {
        if let since, Timestamp.parse(since) == nil { throw ValidationError("--since must be an ISO 8601 time such as 2026-11-01T00:00:00Z") }
        if let until, Timestamp.parse(until) == nil { throw ValidationError("--until must be an ISO 8601 time such as 2026-11-30T23:59:59Z") }
        if let since, let until, let from = Timestamp.parse(since), let to = Timestamp.parseEnd(until), from > to {
            throw ValidationError("--since (\(since)) is after --until (\(until)): no input could match")
        }
        if let threads, !(1...2).contains(threads) { throw ValidationError("--threads must be 1 or 2 (a second thread reads ahead; the fold and the reactor run in ledger order on one)") }
        if limit < 0 { throw ValidationError("--limit must be 0 or more (changed decisions shown per conversation)") }
        if let residentConversations, residentConversations < 0 { throw ValidationError("--resident-conversations must be 0 (all in memory) or more") }
        if let html {
            // Checked before the replay, which may take minutes, not after it.
            let folder = (html as NSString).deletingLastPathComponent
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: folder.isEmpty ? "." : folder, isDirectory: &isDirectory), isDirectory.boolValue,
                  FileManager.default.isWritableFile(atPath: folder.isEmpty ? "." : folder) else {
                throw ValidationError("--html \(html): the folder \(folder.isEmpty ? "." : folder) does not exist or is not writable")
            }
        }
        if live && policy == nil { throw ValidationError("--live needs --policy FILE: it evaluates a new bot version against real history") }
    }

    func run() async throws {
        let whatIf = try policy.map(loadPolicy)
        let report = try await reportingErrors { () async throws -> ReplayReport in
            guard live, let whatIf else { return try await replay(whatIf: whatIf, live: nil) }
            // The client is shut down on every path, whatever the replay throws.
            return try await HTTPClient.withHTTPClient(configuration: HTTPExchange.clientConfiguration) { httpClient in
                try await replay(whatIf: whatIf, live: try liveEffects(for: whatIf, httpClient: httpClient))
            }
        }
        let view = ReplayView(report: report, whatIf: whatIf?.id)
        switch format {
        case .text: print(view.text(limit: limit), terminator: "")
        case .json: print(jsonText(view.json))
        }
        if let html {
            do {
                try view.html().write(toFile: html, atomically: true, encoding: .utf8)
            } catch {
                printError("error: cannot write \(html): \(error)")
                throw ExitCode(2)
            }
        }
        if !report.behaviourChanges.isEmpty { throw ExitCode(1) }
    }

    /// `--live`: the outbox's own read-only effects, against the systems the policy names.
    private func liveEffects(for whatIf: Policy, httpClient: HTTPClient) throws -> ReadEffects {
        // Lookups may name any variable but the bot's own secrets, as in serve.
        let variables = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("LEDGERBOT_") }
        // A lookup whose address is unset would be performed against nothing and fail, and its
        // failure would read as the new version's behaviour: refuse before replaying instead.
        let referenced = whatIf.lookups.values.sorted { $0.name < $1.name }.flatMap { lookup in
            ([lookup.url.source] + lookup.headers.values.sorted() + [lookup.body?.source ?? ""]).flatMap(Variables.names(in:)).map { (lookup.name, $0) }
        }
        if let (lookup, name) = referenced.first(where: { variables[$0.1] == nil }) {
            throw ValidationError("--live: lookup '\(lookup)' refers to ${\(name)}, which is not set in the environment; export it (as for serve), or replay without --live")
        }
        let quiet = Logger(label: "ledgerbot.replay.live", factory: { _ in SwiftLogNoOpLogHandler() })
        return ReadEffects(lookups: HTTPLookupPerformer(httpClient: httpClient, variables: variables, logger: quiet),
                           nlu: try ExternalNLUFactory.make(whatIf, variables: variables, httpClient: httpClient, logger: quiet),
                           readsOnly: true, logger: quiet)
    }

    private func replay(whatIf: Policy?, live: (any LiveEffects)?) async throws -> ReplayReport {
        var options = Replayer.Options(policy: whatIf, conversationId: conversation, accountId: account, inboxId: inbox,
                                       since: since.flatMap(Timestamp.parse), until: until.flatMap(Timestamp.parseEnd), live: live)
        options.fromRawBody = fromRaw
        if let threads { options.threads = threads }
        if let residentConversations { options.residentConversations = residentConversations } // 0: all in memory
        let progress = Progress("replaying")
        let report: ReplayReport
        switch try store.target() {
        case .directory(let directory):
            // The index knows the head without reading the segments (an estimate for the ETA only).
            let head = (try? LedgerIndex(path: directory.indexPath, ledgerID: directory.readManifest(), readOnly: true).lastFrame()?.lastSeq) ?? nil
            report = try await Replayer(directory: directory, options: options).run { done, _ in progress.update(done, total: head.map { Int($0) }) }
        case .postgres(let location):
            report = try await withPostgresLedger(location) { ledger in
                let head = await ledger.headSeq()
                return try await Replayer(ledger: ledger, options: options).run { done, _ in progress.update(done, total: Int(head)) }
            }
        }
        progress.finish(report.events)
        return report
    }
}

/// The replay report for people (text) and scripts (JSON).
struct ReplayView {
    let report: ReplayReport
    let whatIf: String?

    struct Totals {
        var repliesChanged = 0
        var handoffsAdded = 0
        var handoffsRemoved = 0
        var fallbacksAdded = 0
        var fallbacksRemoved = 0
        var intentsChanged = 0
    }

    var totals: Totals {
        var totals = Totals()
        for change in report.behaviourChanges {
            let old = DecisionSummary(change.recorded), new = DecisionSummary(change.replayed)
            if old.replies != new.replies || old.rich != new.rich { totals.repliesChanged += 1 }
            if old.handoff == nil && new.handoff != nil { totals.handoffsAdded += 1 }
            if old.handoff != nil && new.handoff == nil { totals.handoffsRemoved += 1 }
            if !old.fallback && new.fallback { totals.fallbacksAdded += 1 }
            if old.fallback && !new.fallback { totals.fallbacksRemoved += 1 }
            if old.intent != new.intent { totals.intentsChanged += 1 }
        }
        return totals
    }

    /// Lookups the replayed decisions ask for that the recorded ones did not, and that `--live`
    /// did not perform either: their results are unknown.
    var unrecordedEffects: [(change: DecisionChange, lookup: String)] {
        report.behaviourChanges.flatMap { change in
            let recorded = DecisionSummary(change.recorded).lookups
            let performed = Set(change.live.filter { $0.result != nil }.map(\.effect))
            return DecisionSummary(change.replayed).lookups.filter { !recorded.contains($0) && !performed.contains("lookup \($0)") }.map { (change, $0) }
        }
    }

    /// One line per effect performed live, and what the new version did with the answer.
    static func describe(_ step: LiveStep) -> String {
        guard let result = step.result else { return "\(step.effect) → not performed (it writes, or moves a live dialog on: --live only reads)" }
        var text = "\(step.effect) → \(result.outcome.rawValue)" + (result.status.map { " HTTP \($0)" } ?? "") + " (\(result.latencyMilliseconds) ms, performed now)"
        if let error = result.error { text += " \(error.prefix(120))" }
        text += "; then: " + describe(DecisionSummary(step.followUp), present: step.followUp != nil)
        return text
    }

    static func json(_ step: LiveStep) -> [String: Any] {
        [
            "effect": step.effect, "performed": step.result != nil,
            "outcome": step.result?.outcome.rawValue as Any? ?? NSNull(), "status": step.result?.status as Any? ?? NSNull(),
            "latency_ms": step.result?.latencyMilliseconds as Any? ?? NSNull(),
            "then": json(DecisionSummary(step.followUp), present: step.followUp != nil),
        ]
    }

    private var byConversation: [(ConversationAddress, [DecisionChange])] {
        var groups: [ConversationAddress: [DecisionChange]] = [:]
        for change in report.behaviourChanges { groups[change.conversation, default: []].append(change) }
        return groups.sorted { ($0.key.accountId, $0.key.conversationId) < ($1.key.accountId, $1.key.conversationId) }
    }

    func text(limit: Int) -> String {
        var out = ""
        let recorded = Array(Set(report.recordedPolicies)).sorted().joined(separator: ", ")
        if let whatIf {
            out += "What-if: \(whatIf) instead of the recorded \(recorded.isEmpty ? "(none)" : recorded)\n"
            out += "Customer inputs are replayed as recorded: after the first divergence in a conversation, the customer might have answered differently.\n\n"
        }
        let behaviour = report.behaviourChanges.count
        out += "Replayed \(formatCount(report.events)) events (through seq \(report.headSeq)): \(formatCount(report.compared)) decisions compared, \(formatCount(report.identical)) identical, \(formatCount(behaviour)) changed"
            + (report.changes.count > behaviour ? " (\(formatCount(report.changes.count - behaviour)) more differ only in scores or explanation).\n" : ".\n")
        for warning in report.warnings { out += "warning: \(warning)\n" }
        if report.compared == 0 {
            out += "Nothing was compared: no decision matched the filters (or the ledger has none).\n"
            return out
        }
        if behaviour == 0 {
            out += whatIf == nil ? "Every decision re-derived from the ledger equals the recorded one.\n" : "The new version decides exactly as the recorded one on this history.\n"
            return out
        }
        for (address, changes) in byConversation {
            out += "\nconversation \(address.accountId)/\(address.conversationId): \(changes.count) changed decision(s); first divergence at input seq \(changes[0].inputSeq) (\(Timestamp.iso8601(micros: changes[0].time)))\n"
            for change in changes.prefix(limit) {
                out += "  input seq \(change.inputSeq)" + (change.recordedSeq.map { " (recorded decision seq \($0))" } ?? " (nothing recorded)") + "\n"
                let recorded = Self.describe(DecisionSummary(change.recorded), present: change.recorded != nil)
                let replayed = Self.describe(DecisionSummary(change.replayed), present: change.replayed != nil)
                out += "    recorded: " + recorded + "\n"
                out += "    replayed: " + replayed + "\n"
                // Lines that read the same (a score, an explanation differs): say where they differ.
                if recorded == replayed, let difference = change.firstDifference {
                    out += "    first difference at \(difference.path): recorded \(difference.recorded), replayed \(difference.replayed)\n"
                }
                for step in change.live { out += "    live: " + Self.describe(step) + "\n" }
            }
            if changes.count > limit { out += "  … \(changes.count - limit) more (--limit, or --format json for all)\n" }
        }
        let t = totals
        out += "\nTotals: \(report.conversationsAffected) conversation(s) affected; \(behaviour) decision(s) changed; replies changed \(t.repliesChanged); intents changed \(t.intentsChanged); hand-offs added \(t.handoffsAdded), removed \(t.handoffsRemoved); fallbacks added \(t.fallbacksAdded), removed \(t.fallbacksRemoved).\n"
        let unrecorded = unrecordedEffects
        if !unrecorded.isEmpty {
            out += "Effects the replayed decisions ask for that were never recorded (their results are unknown, so what follows them is not replayed):\n"
            for (change, lookup) in unrecorded {
                out += "  lookup \(lookup) — conversation \(change.conversation.accountId)/\(change.conversation.conversationId), input seq \(change.inputSeq)\n"
            }
        }
        return out
    }

    static func describe(_ summary: DecisionSummary, present: Bool) -> String {
        guard present else { return "(no decision)" }
        var parts: [String] = []
        if let intent = summary.intent {
            parts.append("intent \(intent)" + (summary.confidence.map { String(format: " (%.2f)", $0) } ?? ""))
        } else if let rule = summary.rule {
            parts.append(rule)
        }
        if summary.fallback { parts.append("fallback") }
        for (index, reply) in summary.replies.enumerated() {
            let kind = index < summary.rich.count ? "" : ""
            parts.append("says \"\(reply.count > 120 ? String(reply.prefix(117)) + "…" : reply)\"\(kind)")
        }
        if !summary.rich.isEmpty { parts.append("rich: " + summary.rich.joined(separator: ", ")) }
        if let handoff = summary.handoff { parts.append("HANDS OFF: \(handoff)") }
        if !summary.lookups.isEmpty { parts.append("looks up " + summary.lookups.joined(separator: ", ")) }
        if summary.notes > 0 { parts.append("\(summary.notes) private note(s)") }
        return parts.isEmpty ? "(nothing customer-visible)" : parts.joined(separator: " · ")
    }

    var json: [String: Any] {
        let t = totals
        return [
            "what_if_policy": whatIf as Any? ?? NSNull(),
            "recorded_policies": Array(Set(report.recordedPolicies)).sorted(),
            "events": report.events, "head_seq": report.headSeq,
            "compared": report.compared, "identical": report.identical,
            "conversations_affected": report.conversationsAffected,
            "note": whatIf == nil ? "" : "customer inputs are replayed as recorded; after the first divergence the customer might have answered differently",
            "explanation_only_changes": report.changes.count - report.behaviourChanges.count,
            "warnings": report.warnings,
            "totals": ["decisions_changed": report.behaviourChanges.count, "replies_changed": t.repliesChanged, "intents_changed": t.intentsChanged,
                       "handoffs_added": t.handoffsAdded, "handoffs_removed": t.handoffsRemoved,
                       "fallbacks_added": t.fallbacksAdded, "fallbacks_removed": t.fallbacksRemoved],
            "changes": report.behaviourChanges.map { change -> [String: Any] in
                [
                    "account": change.conversation.accountId, "conversation": change.conversation.conversationId,
                    "input_seq": change.inputSeq, "recorded_seq": change.recordedSeq as Any? ?? NSNull(),
                    "time": Timestamp.iso8601(micros: change.time),
                    "recorded": Self.json(DecisionSummary(change.recorded), present: change.recorded != nil),
                    "replayed": Self.json(DecisionSummary(change.replayed), present: change.replayed != nil),
                    "live": change.live.map(Self.json),
                    "first_difference": change.firstDifference.map { ["path": $0.path, "recorded": $0.recorded, "replayed": $0.replayed] } as Any? ?? NSNull(),
                ]
            },
            "unrecorded_effects": unrecordedEffects.map { ["kind": "lookup", "name": $0.lookup, "account": $0.change.conversation.accountId,
                                                           "conversation": $0.change.conversation.conversationId, "input_seq": $0.change.inputSeq] as [String: Any] },
        ]
    }


    static func json(_ summary: DecisionSummary, present: Bool) -> Any {
        guard present else { return NSNull() }
        return [
            "replies": summary.replies, "rich": summary.rich, "private_notes": summary.notes,
            "intent": summary.intent as Any? ?? NSNull(), "confidence": summary.confidence as Any? ?? NSNull(),
            "fallback": summary.fallback, "handoff": summary.handoff as Any? ?? NSNull(), "lookups": summary.lookups,
            "rule": summary.rule as Any? ?? NSNull(),
        ] as [String: Any]
    }
}

extension ReplayView {
    /// A self-contained page a person can browse: totals, then each changed decision side by side.
    func html() -> String {
        let escape = TimelineRendering.escape
        let t = totals
        var rows = ""
        for (address, changes) in byConversationForHTML {
            rows += "<tr class=conversation><th colspan=3>conversation \(address.accountId)/\(address.conversationId) — \(changes.count) changed; first divergence at input seq \(changes[0].inputSeq)</th></tr>\n"
            for change in changes {
                rows += "<tr><td class=seq>\(change.inputSeq)<br><small>\(escape(Timestamp.iso8601(micros: change.time)))</small></td>"
                    + "<td>\(escape(Self.describe(DecisionSummary(change.recorded), present: change.recorded != nil)))</td>"
                    + "<td>\(escape(Self.describe(DecisionSummary(change.replayed), present: change.replayed != nil)))</td></tr>\n"
            }
        }
        let title = whatIf.map { "What-if: \($0)" } ?? "Replay"
        return """
            <!doctype html><html lang=en><head><meta charset=utf-8><title>\(escape(title)) — Ledgerbot</title><style>
            body{font:14px/1.4 system-ui,sans-serif;margin:1.5rem}table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;padding:.35rem .5rem;text-align:left;vertical-align:top}
            tr.conversation th{background:#f4f4f4}.seq{font-family:monospace;white-space:nowrap}.note{color:#a60}</style></head><body>
            <h1>\(escape(title))</h1>
            <p>\(report.events) events replayed; \(report.compared) decisions compared, \(report.identical) identical, \(report.behaviourChanges.count) changed in \(report.conversationsAffected) conversation(s).</p>
            \(report.warnings.map { "<p class=note>Warning: \(escape($0))</p>" }.joined())
            \(whatIf == nil ? "" : "<p class=note>Customer inputs are replayed as recorded: after the first divergence in a conversation, the customer might have answered differently.</p>")
            <p>Replies changed \(t.repliesChanged) · intents changed \(t.intentsChanged) · hand-offs added \(t.handoffsAdded), removed \(t.handoffsRemoved) · fallbacks added \(t.fallbacksAdded), removed \(t.fallbacksRemoved)</p>
            <table><thead><tr><th>input seq</th><th>recorded</th><th>replayed</th></tr></thead><tbody>
            \(rows)</tbody></table></body></html>
            """
    }

    fileprivate var byConversationForHTML: [(ConversationAddress, [DecisionChange])] {
        var groups: [ConversationAddress: [DecisionChange]] = [:]
        for change in report.behaviourChanges { groups[change.conversation, default: []].append(change) }
        return groups.sorted { ($0.key.accountId, $0.key.conversationId) < ($1.key.accountId, $1.key.conversationId) }
    }
}
