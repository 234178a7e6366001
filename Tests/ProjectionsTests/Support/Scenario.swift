import Chatwoot
import Domain
import Ledger
@testable import Projections

/// One whole support conversation, in the order Chatwoot and Ledgerbot produce it: widget
/// opened → customer asks (pending) → bot decides, sends, sees its echo → customer clicks an
/// option (and the same submission comes again on a delivery update) → fills a form → bot hands
/// off (toggle to open, `conversation_status_changed` + `conversation_opened`, a private note) →
/// agent replies → agent hands back (pending) → customer writes, bot falls back → a command fails
/// → agent resolves → CSAT template → customer writes again (pending).
///
/// Times are Unix seconds on 2026-05-13, as in the fixtures.
struct Scenario {
    /// The steps, by name: the seq of each event.
    enum Step: String, CaseIterable {
        case widgetOpened, firstMessage, greetDecision, greetResult, greetEcho, optionChosen, optionResent
        case formDecision, formResult, formEcho, formSubmitted, handoffDecision, handoffReplyResult, handoffReplyEcho
        case handoffStatusResult, statusChangedOpen, conversationOpened, noteResult, noteEcho, agentReply
        case agentHandsBack, customerAgain, fallbackDecision, fallbackResult, fallbackEcho, typingDecision, typingFailed
        case resolved, csatTemplate, customerReturns
    }

    private(set) var script = LedgerScript()
    private(set) var seqs: [Step: Seq] = [:]

    static let handoffAt = 1_778_663_826.005
    static let agentReplyAt = 1_778_663_900.0
    static let handBackAt = 1_778_663_950.2
    static let resolvedAt = 1_778_664_990.118

    init() throws {
        try mark(.widgetOpened) { $0.webhook(try Webhooks.widgetTriggered(), at: 1_778_663_643) }
        try mark(.firstMessage) {
            $0.webhook(try Webhooks.message(9001, "Hi, I need help with my order", by: .customer, createdAt: 1_778_663_742.318,
                                            status: "pending", updatedAt: 1_778_663_742.352), at: 1_778_663_742.4)
        }
        let greet = OutgoingMessage(content: "Sure! What do you need help with?", contentType: .inputSelect,
                                    contentAttributes: ["items": [["title": "Track my order", "value": "track_order"]]])
        let greetDecision = mark(.greetDecision) {
            $0.decision([.sendMessage(greet)], StateUpdate(intent: IntentScore(name: "greet", confidence: 0.81)), at: 1_778_663_742.5)
        }
        mark(.greetResult) { $0.result(greetDecision, command: 0, kind: "send_message", messageId: 9002, at: 1_778_663_744.6) }
        try mark(.greetEcho) {
            $0.webhook(try Webhooks.message(9002, greet.content, by: .bot, contentType: "input_select",
                                            sourceId: EffectSourceID.make(decision: greetDecision, command: 0), createdAt: 1_778_663_744.512,
                                            status: "pending", updatedAt: 1_778_663_744.54), at: 1_778_663_744.7)
        }
        try mark(.optionChosen) { $0.webhook(try Webhooks.submission(form: false, updatedAt: 1_778_663_758.731), at: 1_778_663_758.8) }
        try mark(.optionResent) { $0.webhook(try Webhooks.submission(form: false, updatedAt: 1_778_663_760.2), at: 1_778_663_760.25) }
        let form = OutgoingMessage(content: "Please share a few details so I can look up your order.", contentType: .form)
        let formDecision = mark(.formDecision) {
            $0.decision([.sendMessage(form)], StateUpdate(intent: IntentScore(name: "track_order", confidence: 0.92), setSlots: ["topic": "delivery"]),
                        at: 1_778_663_760.3)
        }
        mark(.formResult) { $0.result(formDecision, command: 0, kind: "send_message", messageId: 9004, at: 1_778_663_790.1) }
        try mark(.formEcho) {
            $0.webhook(try Webhooks.message(9004, form.content, by: .bot, contentType: "form",
                                            sourceId: EffectSourceID.make(decision: formDecision, command: 0), createdAt: 1_778_663_790.004,
                                            status: "pending", updatedAt: 1_778_663_790.05), at: 1_778_663_790.2)
        }
        try mark(.formSubmitted) { $0.webhook(try Webhooks.submission(form: true, updatedAt: 1_778_663_825.222), at: 1_778_663_825.25) }
        let handoffDecision = mark(.handoffDecision) {
            $0.decision([.sendMessage(.text("Thanks, I am connecting you with a human agent now.")), .setStatus(.open),
                         .sendMessage(.privateNote("Order A-10023: tracking stalled for 4 days."))],
                        StateUpdate(intent: IntentScore(name: "handoff", confidence: 0.97),
                                    setSlots: ["order_number": "A-10023", "contact.email": "jane@example.com"], authenticated: true),
                        at: 1_778_663_825.3)
        }
        mark(.handoffReplyResult) { $0.result(handoffDecision, command: 0, kind: "send_message", messageId: 9005, at: 1_778_663_825.4) }
        try mark(.handoffReplyEcho) {
            $0.webhook(try Webhooks.message(9005, "Thanks, I am connecting you with a human agent now.", by: .bot,
                                            sourceId: EffectSourceID.make(decision: handoffDecision, command: 0), createdAt: 1_778_663_825.45,
                                            status: "pending", updatedAt: 1_778_663_825.5), at: 1_778_663_825.6)
        }
        mark(.handoffStatusResult) { $0.result(handoffDecision, command: 1, kind: "set_status", at: 1_778_663_825.9) }
        try mark(.statusChangedOpen) {
            $0.webhook(try Webhooks.conversationEvent("conversation_status_changed", status: "open", updatedAt: Self.handoffAt), at: 1_778_663_826.1)
        }
        try mark(.conversationOpened) {
            $0.webhook(try Webhooks.conversationEvent("conversation_opened", status: "open", updatedAt: Self.handoffAt), at: 1_778_663_826.15)
        }
        mark(.noteResult) { $0.result(handoffDecision, command: 2, kind: "private_note", messageId: 9006, at: 1_778_663_826.16) }
        try mark(.noteEcho) {
            $0.webhook(try Webhooks.message(9006, "Order A-10023: tracking stalled for 4 days.", by: .bot, isPrivate: true,
                                            sourceId: EffectSourceID.make(decision: handoffDecision, command: 2), createdAt: 1_778_663_826.05,
                                            status: "open", updatedAt: 1_778_663_826.2), at: 1_778_663_826.3)
        }
        try mark(.agentReply) {
            $0.webhook(try Webhooks.message(9007, "Hi Jane, Sam here. Let me check the parcel.", by: .agent, createdAt: Self.agentReplyAt,
                                            status: "open", updatedAt: 1_778_663_900.5, assignee: Webhooks.agentId), at: 1_778_663_900.6)
        }
        try mark(.agentHandsBack) {
            $0.webhook(try Webhooks.conversationEvent("conversation_status_changed", status: "pending", updatedAt: Self.handBackAt,
                                                      assignee: Webhooks.agentId), at: 1_778_663_950.3)
        }
        try mark(.customerAgain) {
            $0.webhook(try Webhooks.message(9008, "Also, can I change the address?", by: .customer, createdAt: 1_778_663_960.0,
                                            status: "pending", updatedAt: 1_778_663_960.1), at: 1_778_663_960.15)
        }
        let fallbackDecision = mark(.fallbackDecision) {
            $0.decision([.sendMessage(.text("Sorry, I did not get that."))], StateUpdate(fallback: true), at: 1_778_663_960.2)
        }
        mark(.fallbackResult) { $0.result(fallbackDecision, command: 0, kind: "send_message", messageId: 9009, at: 1_778_663_961.0) }
        try mark(.fallbackEcho) {
            $0.webhook(try Webhooks.message(9009, "Sorry, I did not get that.", by: .bot,
                                            sourceId: EffectSourceID.make(decision: fallbackDecision, command: 0), createdAt: 1_778_663_961.0,
                                            status: "pending", updatedAt: 1_778_663_961.1), at: 1_778_663_961.2)
        }
        let typingDecision = mark(.typingDecision) { $0.decision([.typing(on: true)], at: 1_778_663_961.3) }
        mark(.typingFailed) {
            $0.result(typingDecision, command: 0, kind: "typing", outcome: .failed, status: 401,
                      error: "Access to this endpoint is not authorized for bots", at: 1_778_663_961.5)
        }
        try mark(.resolved) {
            $0.webhook(try Webhooks.conversationEvent("conversation_resolved", status: "resolved", updatedAt: Self.resolvedAt,
                                                      assignee: Webhooks.agentId), at: 1_778_664_990.2)
        }
        try mark(.csatTemplate) {
            $0.webhook(try Webhooks.message(9010, "Please rate the conversation", by: .system, contentType: "input_csat", createdAt: 1_778_664_990.2,
                                            status: "resolved", updatedAt: 1_778_664_990.3), at: 1_778_664_990.4)
        }
        try mark(.customerReturns) {
            $0.webhook(try Webhooks.message(9011, "Hello again", by: .customer, createdAt: 1_778_665_100.0,
                                            status: "pending", updatedAt: 1_778_665_100.05), at: 1_778_665_100.1)
        }
    }

    @discardableResult
    private mutating func mark(_ step: Step, _ append: (inout LedgerScript) throws -> Seq) rethrows -> Seq {
        let seq = try append(&script)
        precondition(seqs[step] == nil, "step \(step) recorded twice")
        seqs[step] = seq
        return seq
    }

    subscript(step: Step) -> Seq { seqs[step]! }

    var drafts: [EventDraft] { script.drafts }

    /// The same events with webhook deliveries arriving in another order, as Chatwoot's
    /// concurrent jobs allow: decisions and results keep their seqs, only webhooks move.
    ///
    /// - the bot's echo lands before the result of its send;
    /// - the re-sent submission before the first copy;
    /// - `conversation_status_changed`/`conversation_opened` (open) before the echo of the bot's
    ///   last pending reply, and the agent's reply before that echo too;
    /// - the customer's next message before the agent's hand-back (`pending`), the private
    ///   note's echo last of all.
    func outOfOrderDrafts() -> [EventDraft] {
        var drafts = self.drafts
        func put(_ step: Step, at position: Step) { drafts[Int(self[position]) - 1] = self.drafts[Int(self[step]) - 1] }
        // Swaps among webhooks only (positions of decisions and results are unchanged).
        put(.greetEcho, at: .greetEcho)
        put(.optionResent, at: .optionChosen)
        put(.optionChosen, at: .optionResent)
        put(.statusChangedOpen, at: .handoffReplyEcho)
        put(.conversationOpened, at: .statusChangedOpen)
        put(.agentReply, at: .conversationOpened)
        put(.handoffReplyEcho, at: .noteEcho)
        put(.customerAgain, at: .agentReply)
        put(.noteEcho, at: .agentHandsBack)
        put(.agentHandsBack, at: .customerAgain)
        // The echo before its result: swap the two slots.
        drafts.swapAt(Int(self[.greetResult]) - 1, Int(self[.greetEcho]) - 1)
        return drafts
    }
}
