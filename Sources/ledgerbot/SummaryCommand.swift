import ArgumentParser
import Chatwoot
import Foundation
import Projections

struct SummaryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "summary",
        abstract: "What an agent needs on taking over a conversation: who, what they want, what the bot collected, found and said, why it handed off.",
        discussion: """
            Extractive and deterministic: built from the projections folded from the ledger (the same \
            summary the bot posts as a private note at hand-off), plus the contact's earlier \
            conversations. Waiting time is measured to the conversation's last event.
            """
    )

    @OptionGroup var data: DataOptions
    @Option(help: ArgumentHelp("The conversation id (as in Chatwoot's URLs).", valueName: "ID")) var conversation: Int
    @Option(help: ArgumentHelp("The account, when several accounts have this conversation id.", valueName: "N")) var account: Int?
    @Option(help: "text or json.") var format: OutputFormat = .text

    func run() async throws {
        try await reportingErrors {
            let store = try ConversationStore.build(directory: data.directory)
            let matches = store.conversations.values.filter { $0.address.conversationId == conversation && (account == nil || $0.address.accountId == account) }
            guard let state = matches.first else { throw ValidationError("conversation \(conversation) is not in the ledger") }
            guard matches.count == 1 else {
                throw ValidationError("conversation \(conversation) exists in accounts \(matches.map { String($0.address.accountId) }.sorted().joined(separator: ", ")); pass --account")
            }
            let history = state.contact?.id.map { contact in
                store.conversations.values.filter { $0.address.accountId == state.address.accountId && $0.contact?.id == contact && $0.address != state.address }
                    .sorted { ($0.createdAt ?? 0, $0.address.conversationId) < ($1.createdAt ?? 0, $1.address.conversationId) }
            } ?? []
            let summary = ConversationSummary(state: state, history: history, now: state.lastEventAt ?? 0)
            switch format {
            case .text: FileHandleOutput.standardOutput.write("Conversation \(conversation) (account \(state.address.accountId)), \(state.status?.rawValue ?? "?")\n" + summary.text + "\n")
            case .json: FileHandleOutput.standardOutput.write(String(decoding: try JSONValue.prettyData(summary.json), as: UTF8.self) + "\n")
            }
        }
    }
}
