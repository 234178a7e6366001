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
                let found = try await shared.streams(endingWith: "/\(id)")
                let address = try Timeline.choose(conversation: id, account: account, streams: found)
                timeline = Timeline.build(address: address, events: try await shared.events(inStreams: Timeline.streams(of: address, among: found)), includeRaw: true)
            } else {
                // Reads the index and a stretch of the ledger: on a thread of its own, so a page
                // view never holds the cooperative pool that handles webhooks.
                let directory = directory
                timeline = try await onOwnThread { try Timeline.build(directory: directory, conversation: id, account: account, includeRaw: true) }
            }
            return TimelineRendering.html(timeline, backLink: "/conversations")
        } catch let error as AuditError where error.isAmbiguous {
            throw AdminPagesAmbiguity(message: "conversation \(id) exists in several accounts; add ?account=N")
        } catch is AuditError {
            return nil
        }
    }

    func summary(id: Int, account: Int?) async throws -> JSONValue? {
        let states = await projections.recentConversations(limit: .max).filter { $0.address.conversationId == id && (account == nil || $0.address.accountId == account) }
        if states.count > 1 { throw AdminPagesAmbiguity(message: "conversation \(id) exists in accounts \(states.map { String($0.address.accountId) }.sorted().joined(separator: ", ")); add ?account=N") }
        guard let state = states.first else { return nil }
        var history: [ConversationState] = []
        if let contact = state.contact?.id { history = await projections.conversations(ofContact: contact, account: state.address.accountId) }
        // Live: how long the customer has waited until now (the CLI measures to the last event, for repeatable output).
        return ConversationSummary(state: state, history: history.filter { $0.address != state.address }, now: Timestamp.micros(Date())).json
    }
}
