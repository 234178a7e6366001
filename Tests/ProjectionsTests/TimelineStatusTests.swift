import Audit
import Chatwoot
import Foundation
import Ledger
import Testing
@testable import Projections

/// The audit's status lines follow what the projections conclude, also when a later payload
/// corrects who made a change.
@Suite struct TimelineStatusTests {
    /// Chatwoot reopens a resolved conversation for the customer's message and sends the status
    /// event first: it reads as an agent's until the message shows the customer's. The audit line
    /// says the customer's, as the projection does.
    @Test func aReopeningSeenBeforeItsMessageIsTheCustomers() async throws {
        var script = LedgerScript()
        script.webhook(try Webhooks.conversationEvent("conversation_resolved", status: "resolved", updatedAt: 1_778_664_990.1, assignee: Webhooks.agentId),
                       at: 1_778_664_990.2)
        script.webhook(try Webhooks.conversationEvent("conversation_status_changed", status: "pending", updatedAt: 1_778_665_100.05), at: 1_778_665_100.1)
        script.webhook(try Webhooks.message(9011, "Hello again", by: .customer, createdAt: 1_778_665_100.0, status: "pending", updatedAt: 1_778_665_100.05),
                       at: 1_778_665_100.2)
        let events = try await TestLedger(script.drafts).events()
        let timeline = Timeline.build(address: LedgerScript.address, events: events)
        #expect(timeline.state?.statusCause == .customer, "the projection's attribution, which the audit must agree with")
        let lines = timeline.entries.filter { $0.kind == .status }.map(\.summary)
        #expect(lines.last == "resolved → pending (by the customer's message)", "\(lines)")
        #expect(timeline.entries.filter { $0.kind == .status }.last?.details["cause"] == .string("by the customer's message"))
    }
}
