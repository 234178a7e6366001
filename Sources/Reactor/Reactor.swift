import Chatwoot
import Domain
import Ledger
import Policy
import Projections

/// The bot's brain: `decide(state, event, policy) -> Decision?`, a pure function.
///
/// It reads nothing but its arguments — no clock (time is the event's), no randomness, no
/// environment, no network, no files — so the same inputs give the same decision on every
/// machine, and replaying the ledger re-derives every decision the bot made. (`ReactorPurityTests`
/// checks the sources for the APIs that would break this, and runs decisions twice.)
///
/// Inputs it reacts to:
/// - a new incoming, non-private customer message (`message_created`);
/// - a widget answer (`message_updated` with submitted values), once per message;
/// - the recorded result of a lookup it asked for (`effect.result` of kind `lookup`), or of the
///   external NLU service (kind `understand`);
/// - a timer it scheduled (`timer.fired`, recorded with the time it fired).
///
/// Everything else (its own echoes, agents' replies, private notes, templates, status changes)
/// only updates the state; it never triggers a message. While the conversation is not `pending`
/// (a human owns it), or a human agent has replied in it, the bot only posts private notes.
public enum Reactor {
    /// What the bot does about `event`, given the conversation's state before it.
    /// - Parameters:
    ///   - state: the conversation's projected state before `event` (nil: a new conversation).
    /// - Returns: nil when the event calls for nothing.
    public static func decide(state: ConversationState?, event: LedgerEvent, policy: Policy) -> Decision? {
        decide(before: state, after: nil, event: event, read: Projector.Input(event), policy: policy)
    }

    /// The same for an event a ``Projections/ConversationStore`` has just folded: its
    /// ``Projections/ProjectionChange`` already holds the body as read and the states before and
    /// after, so nothing is read or folded twice (the serve loop and replay use this).
    public static func decide(change: ProjectionChange, event: LedgerEvent, policy: Policy) -> Decision? {
        decide(before: change.before, after: change.after, event: event, read: change.input, policy: policy)
    }

    /// The same from the state before `event` and the event as read (`after` is folded here):
    /// what replay keeps of an input it may have to decide again later.
    public static func decide(before: ConversationState?, input read: Projector.Input, event: LedgerEvent, policy: Policy) -> Decision? {
        decide(before: before, after: nil, event: event, read: read, policy: policy)
    }

    /// Whether the event may be one the reactor reacts to, under any policy: a customer's
    /// message or a widget answer, a lookup or NLU result, a timer. Everything else only updates
    /// state. It is ``ReactorInput``'s own gate without a state, so a superset of what it accepts
    /// with one (a message seen before, a submission already handled).
    public static func mayReact(to read: Projector.Input) -> Bool {
        ReactorInput(read, before: nil) != nil
    }

    private static func decide(before: ConversationState?, after folded: ConversationState?, event: LedgerEvent,
                               read: Projector.Input, policy: Policy) -> Decision? {
        guard let input = ReactorInput(read, before: before) else { return nil }
        var after: ConversationState
        if let folded {
            after = folded
        } else {
            after = before ?? ConversationState(address: input.address)
            _ = Projector.apply(read, seq: event.seq, time: event.time, to: &after)
        }
        var turn = Turn(policy: policy, state: after, event: event)
        turn.handle(input)
        return turn.decision()
    }
}

/// An event the reactor reacts to.
struct ReactorInput {
    enum Kind {
        case message(text: String, messageId: Int?)
        /// `askedBy`: the decision that sent the widget, from the `source_id` the outbox put on it
        /// (nil for a widget not sent by this bot's outbox).
        case submission(SubmittedAnswer, messageId: Int, askedBy: Seq?)
        case lookupResult(EffectResult, LookupAnswer?)
        /// `pending`: the state before it still waited for this result (answered once).
        case understood(EffectResult, pending: Bool)
        case timer(TimerFired)
    }

    var address: ConversationAddress
    var kind: Kind

    init?(_ read: Projector.Input, before: ConversationState?) {
        switch read {
        case .webhook(let digest):
            guard let message = digest.message, !message.isPrivate,
                  let conversation = digest.conversation?.id ?? before?.address.conversationId,
                  let account = digest.accountId ?? before?.address.accountId else { return nil }
            address = before?.address ?? ConversationAddress(accountId: account, conversationId: conversation)
            switch digest.kind {
            case .messageCreated:
                guard message.messageType == .incoming else { return nil }
                // The same message delivered again under another delivery id is not new input.
                if let id = message.id, before?.recentMessageIds.contains(id) == true { return nil }
                kind = .message(text: message.content ?? "", messageId: message.id)
            case .messageUpdated:
                // Only an answer to the bot's own question: Chatwoot's own templates (its email
                // collect box, its CSAT survey) are answered the same way but have no sender
                // (docs/chatwoot-protocol.md §6, §10.5).
                guard message.messageType == .outgoing, message.senderKind == .agentBot,
                      let answer = message.answer, let id = message.id, before?.hasHandledSubmission(messageId: id) != true else { return nil }
                kind = .submission(answer, messageId: id, askedBy: message.sourceId.flatMap(EffectSourceID.parse).map { Seq($0.decision) })
            default:
                return nil
            }
        case .effectResult(let result, let stream):
            guard result.kind == "lookup" || result.kind == "understand", let address = ConversationStore.address(ofStream: stream) else { return nil }
            self.address = address
            let pending = before?.pendingEffects.contains { $0.decision == result.decision && $0.command == result.command } ?? false
            kind = result.kind == "lookup" ? .lookupResult(result, LookupAnswer(result.data)) : .understood(result, pending: pending)
        case .timerFired(let fired, let stream):
            guard let address = ConversationStore.address(ofStream: stream) else { return nil }
            self.address = address
            kind = .timer(fired)
        case .decision, .ignored:
            return nil
        }
    }
}
