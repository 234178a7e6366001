import Audit
import Foundation
import Chatwoot
import Engine
import Ledger
import PostgresLedger
import Projections
import Server

/// The server's pages with customer data, from the live projections and the ledger.
struct BotPages: AdminPages {
    let directory: LedgerDirectory
    let ledger: any LedgerStore
    let projections: ProjectionService

    func conversationList() async throws -> String {
        TimelineRendering.listHTML(await projections.recentConversations(), linkPrefix: "/conversations/")
    }

    func conversation(id: Int, account: Int?) async throws -> String? {
        do {
            let timeline: Timeline
            if let shared = ledger as? PostgresLedger {
                let address = try Timeline.choose(conversation: id, account: account, streams: try await shared.streams(endingWith: "/\(id)"))
                timeline = Timeline.build(address: address, events: try await shared.events(inStreams: Timeline.streams(of: address)), includeRaw: true)
            } else {
                timeline = try Timeline.build(directory: directory, conversation: id, account: account, includeRaw: true)
            }
            return TimelineRendering.html(timeline, backLink: "/conversations")
        } catch is AuditError {
            return nil
        }
    }

    func summary(id: Int, account: Int?) async throws -> JSONValue? {
        let states = await projections.recentConversations(limit: .max).filter { $0.address.conversationId == id && (account == nil || $0.address.accountId == account) }
        guard states.count == 1, let state = states.first else { return nil }
        var history: [ConversationState] = []
        if let contact = state.contact?.id { history = await projections.conversations(ofContact: contact, account: state.address.accountId) }
        // Live: how long the customer has waited until now (the CLI measures to the last event, for repeatable output).
        return ConversationSummary(state: state, history: history.filter { $0.address != state.address }, now: Timestamp.micros(Date())).json
    }
}
