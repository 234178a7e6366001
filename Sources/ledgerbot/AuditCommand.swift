import ArgumentParser
import Audit
import Chatwoot
import Foundation

struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "A conversation's timeline: every webhook, decision (and why), effect and status change, by ledger seq.",
        discussion: """
            Each line names its ledger seq, so it can be traced to the raw bytes (--raw prints them; \
            `ledgerbot ledger export --from SEQ --through SEQ` too). Decisions show the rule or intent \
            that fired, the NLU ranking, the steps in words and the policy version; effects show the \
            outcome, Chatwoot's message id, HTTP status, latency and attempts.
            """
    )

    @OptionGroup var data: DataOptions
    @Option(help: ArgumentHelp("The conversation id (as in Chatwoot's URLs).", valueName: "ID")) var conversation: Int
    @Option(help: ArgumentHelp("The account, when several accounts have this conversation id.", valueName: "N")) var account: Int?
    @Option(help: "text, json or html.") var format: AuditFormat = .text
    @Flag(help: "Include each event's raw body.") var raw = false

    enum AuditFormat: String, ExpressibleByArgument, CaseIterable { case text, json, html }

    func run() async throws {
        try await reportingErrors {
            let timeline = try Timeline.build(directory: data.directory, conversation: conversation, account: account, includeRaw: raw)
            switch format {
            case .text: FileHandleOutput.standardOutput.write(TimelineRendering.text(timeline))
            case .json: FileHandleOutput.standardOutput.write(String(decoding: try JSONValue.prettyData(TimelineRendering.json(timeline)), as: UTF8.self) + "\n")
            case .html: FileHandleOutput.standardOutput.write(TimelineRendering.html(timeline))
            }
        }
    }
}

extension JSONValue {
    /// Sorted keys, indented: stable output for scripts and snapshots.
    static func prettyData(_ value: JSONValue) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return try encoder.encode(value)
    }
}
