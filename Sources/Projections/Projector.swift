import Chatwoot
import Domain
import Ledger

/// The pure fold of ledger events into a ``ConversationState``.
///
/// No clock, no randomness, no I/O: every time comes from the event (a payload's `updated_at`
/// or `created_at`, else the event's recorded time), so folding the same events gives the same
/// state on every machine. ``ConversationStore`` routes events to conversations; use
/// ``apply(_:to:)`` directly when you already hold the state of the event's conversation.
///
/// What is folded:
/// - `webhook.received`: status (newest `updated_at` wins), contact, message counts, customer
///   inputs, widget submissions (each message id once), hand-off and agent-reply times.
/// - `decision`: commands become ``ConversationState/pendingEffects``; the explanation's
///   ``StateUpdate`` sets slots, intent, authentication and the fallback counter.
/// - `effect.result`: clears the pending command; failures are kept.
/// - `timer.fired`: the timer is no longer pending.
/// - everything else (`webhook.duplicate`, `webhook.rejected`, policies): ignored.
///
/// ## Cost
///
/// The hot path is reading the webhook body; the fold itself is negligible. Per event, median of
/// 5 × 20 000, `swiftc -O -wmo`, Swift 6.3.1, 2 shared AMD EPYC cores (a noisy, slow machine: read
/// the ratios), on the repository's fixtures:
///
/// | fixture (bytes)                        | `WebhookEvent.decode` | ``WebhookDigest`` | fold  |
/// |----------------------------------------|-----------------------|-------------------|-------|
/// | `message_created` incoming (3 792)     | 321 µs                | 29 µs             | 0.7 µs|
/// | `message_created` bot echo (3 947)     | 401 µs                | 28 µs             | 0.4 µs|
/// | `conversation_updated` (2 946)         | 262 µs                | 26 µs             | 0.8 µs|
/// | `message_updated` form answer (6 258)  | 990 µs                | 98 µs             | 0.5 µs|
///
/// So a rebuild reads ~35 000 webhooks per second per core instead of ~3 000. (Measured with an
/// earlier scanner; `tools/bench-replay.sh` is the current reference for the whole fold.) The
/// digest is read from the compact form ingest recorded in the meta when there is one (its
/// fields in order, read front to back), else in one validating pass over the body's paths it
/// needs, and allocates only the strings it keeps; a widget answer (always read from the body)
/// also decodes its `submitted_values` with `JSONDecoder` (~60 µs, rare). The fold includes
/// comparing the state before and after.
public enum Projector {
    /// Folds `event` into `state` and returns the metric increments it causes.
    ///
    /// The caller routes: `event` must belong to `state`'s conversation (``ConversationStore``
    /// does this). An event that changes nothing — an ignored type, a repeated delivery of a
    /// message or submission — leaves `state` untouched, ``ConversationState/lastSeq`` included.
    @discardableResult
    public static func apply(_ event: LedgerEvent, to state: inout ConversationState) -> DailyMetrics {
        apply(Input(event), seq: event.seq, time: event.time, to: &state) ?? DailyMetrics()
    }

    // MARK: - Input

    /// An event read once: the store uses it to route, then to fold, and hands it on in
    /// ``ProjectionChange/input`` so the reactor does not read the body again.
    public enum Input: Sendable, Equatable {
        // Boxed (indirect): an input is handed from reader to fold to reactor, and a copy of a
        // boxed case is one reference count, not one per string in the digest.
        indirect case webhook(WebhookDigest)
        indirect case decision(Decision)
        case effectResult(EffectResult, stream: String)
        case timerFired(TimerFired, stream: String)
        case ignored

        /// - Parameter fromRawBody: read a webhook from its raw body even when ingest recorded its
        ///   compact form (``WebhookDigest/init(event:fromRawBody:)``).
        public init(_ event: LedgerEvent, fromRawBody: Bool = false) {
            precondition(!event.isBodyDeferred, "seq \(event.seq) was read without its body: use init(_:fromRawBody:deferredBody:)")
            self.init(event, fromRawBody: fromRawBody, deferredBody: { event.body })
        }

        /// The same for an event that may have come without its body (a cursor reading
        /// summaries, ``Ledger/LedgerEvent/isBodyDeferred``): `deferredBody` reads it when the
        /// event's summary does not do.
        public init(_ event: LedgerEvent, fromRawBody: Bool = false, deferredBody: () throws -> [UInt8]) rethrows {
            switch event.type {
            case EventType.webhookReceived:
                self = try WebhookDigest(event: event, fromRawBody: fromRawBody, deferredBody: deferredBody).map(Input.webhook) ?? .ignored
            case EventType.decision, EventType.effectResult, EventType.timerFired:
                self = Self.recorded(event, body: event.isBodyDeferred ? try deferredBody() : event.body)
            default:
                // webhook.duplicate repeats a stored delivery; rejected and policy events
                // carry no conversation facts.
                self = .ignored
            }
        }

        /// A decision, effect result or fired timer the bot recorded, read from `body`.
        private static func recorded(_ event: LedgerEvent, body: [UInt8]) -> Input {
            switch event.type {
            case EventType.decision:
                // An undecodable decision cannot have been performed either (the outbox decodes
                // the same bytes), so there is nothing to fold.
                (try? Decision.decode(body)).map(Input.decision) ?? .ignored
            case EventType.effectResult:
                // Likewise: the outbox could not read it either, so its command stays pending there too.
                (try? EffectResult.decode(body)).map { .effectResult($0, stream: event.stream) } ?? .ignored
            case EventType.timerFired:
                (try? TimerFired.decode(body)).map { .timerFired($0, stream: event.stream) } ?? .ignored
            default:
                .ignored
            }
        }
    }

    /// - Returns: the increments, or `nil` when the event changed nothing.
    public static func apply(_ input: Input, seq: Seq, time: Int64, to state: inout ConversationState) -> DailyMetrics? {
        let before = state
        return apply(input, seq: seq, time: time, to: &state, before: before)
    }

    /// The same, given the copy of the state before that the caller keeps anyway (the store's
    /// ``ProjectionChange/before``): one copy of the state fewer per event.
    static func apply(_ input: Input, seq: Seq, time: Int64, to state: inout ConversationState,
                      before: borrowing ConversationState) -> DailyMetrics? {
        var metrics = DailyMetrics()
        switch input {
        case .webhook(let digest):
            fold(digest, seq: seq, time: time, into: &state, metrics: &metrics)
        case .decision(let decision):
            fold(decision, seq: seq, into: &state, metrics: &metrics)
        case .effectResult(let result, _):
            fold(result, seq: seq, into: &state, metrics: &metrics)
        case .timerFired(let fired, _):
            state.timers.removeAll { $0.decision == fired.decision && $0.command == fired.command }
        case .ignored:
            return nil
        }
        // Comparing is cheap (arrays compare by identity first) and makes "changed nothing"
        // exact, whatever the reason: a repeat, a stale payload, a no-op result.
        guard state != before else { return nil }
        state.lastSeq = seq
        state.lastEventAt = time
        return metrics
    }

    // MARK: - Webhooks

    private static func fold(_ digest: WebhookDigest, seq: Seq, time: Int64, into state: inout ConversationState,
                             metrics: inout DailyMetrics) {
        if digest.kind == .messageCreated, let id = digest.message?.id {
            // Message ids grow, so the newest ids form a window that does not depend on arrival
            // order; an id below a full window is taken as new.
            guard ConversationState.sortedInsert(&state.recentMessageIds, id) else { return }
            if state.recentMessageIds.count > ConversationState.recentMessageLimit { state.recentMessageIds.removeFirst() }
        }
        let conversation = digest.conversation
        let payloadTime = conversation?.updatedAt
        // Built before the status we hold: its view of the conversation is older.
        let stale = payloadTime.map { at in state.statusObservedAt.map { at < $0 } ?? false } ?? false
        if let conversation {
            if let inbox = conversation.inboxId { state.inboxId = inbox }
            if let channel = conversation.channel { state.channel = channel }
            if let created = conversation.createdAt { state.createdAt = min(state.createdAt ?? created, created) }
        }
        if let contact = digest.contact, !stale || state.contact == nil {
            if let before = state.contact?.id, let after = contact.id, before != after {
                // Another person now (Chatwoot merged contacts, the widget identified someone
                // else): what was verified and collected about the previous one is not theirs.
                state.authenticated = false
                state.authFailures = 0
                state.slots = state.slots.filter { !$0.key.hasPrefix(ConversationState.contactSlotPrefix) }
            }
            state.contact = contact
        }
        if let status = conversation?.status {
            observe(status, in: digest, seq: seq, time: time, into: &state, metrics: &metrics)
        }
        switch digest.kind {
        case .messageCreated:
            if let message = digest.message { fold(created: message, in: digest, time: time, into: &state, metrics: &metrics) }
        case .messageUpdated:
            if let message = digest.message { fold(updated: message, time: payloadTime ?? time, into: &state) }
        case .conversationOpened, .conversationResolved, .conversationStatusChanged, .conversationUpdated, .webwidgetTriggered, .other:
            break
        }
    }

    /// Applies the status a payload shows, unless a newer payload was already applied.
    private static func observe(_ status: ConversationStatus, in digest: WebhookDigest, seq: Seq, time: Int64,
                                into state: inout ConversationState, metrics: inout DailyMetrics) {
        let updatedAt = digest.conversation?.updatedAt
        if let updatedAt, let observed = state.statusObservedAt, updatedAt < observed {
            if let last = state.transitions.last, last.from == status, updatedAt > (state.previousStatusObservedAt ?? .min),
               updatedAt < (state.statusChangedAt ?? .max) {
                // A late witness that the previous status lasted longer: the change came after it.
                state.previousStatusObservedAt = updatedAt
            }
            correctChangeTime(status, at: updatedAt, in: digest, state: &state)
            return
        }
        let previousObservation = state.statusObservedAt
        if let updatedAt { state.statusObservedAt = updatedAt }
        guard status != state.status else { return }

        let old = state.status
        let at = updatedAt ?? time
        // The first status seen has no known cause (Chatwoot created the conversation so).
        let cause = old == nil ? nil : cause(of: status, in: digest, state: state)
        state.previousStatusObservedAt = previousObservation
        state.status = status
        state.statusChangedAt = at
        state.statusCause = cause
        state.transitions.append(StatusTransition(from: old, to: status, at: at, cause: cause, seq: seq))
        if state.transitions.count > ConversationState.transitionLimit { state.transitions.removeFirst() }
        if state.requestedStatus?.status == status { state.requestedStatus = nil }

        switch status {
        case .open:
            state.humanInvolved = true
            state.offeredOptions = nil // a human answers now; the bot's question is over
            state.earlierQuestions = []
            if old == .pending {
                state.handoffAt = at
                state.firstAgentReplyAt = nil
                metrics.handoffs += 1
            }
        case .pending where old != nil:
            // An agent handed the conversation back (or a customer reopened it): the bot resumes.
            state.humanActive = false
            state.consecutiveFallbacks = 0
        case .resolved:
            if state.humanInvolved || state.humanActive { metrics.resolvedByAgent += 1 } else { metrics.resolvedByBot += 1 }
            state.clearConversationSlots()
            state.authenticated = false
            state.awaiting = nil
            state.earlierQuestions = []
            state.offeredOptions = nil
            state.authFailures = 0
            state.lookups = [:]
            state.totalFallbacks = 0
            state.timers = []
            state.consecutiveFallbacks = 0
            state.humanActive = false
            state.humanInvolved = false
        default:
            break
        }
    }

    /// A late payload that shows the current status *earlier* than the change we recorded (and
    /// after the previous status was last seen): the change happened no later than it. Keeps the
    /// change time (and hand-off time) independent of arrival order.
    private static func correctChangeTime(_ status: ConversationStatus, at updatedAt: Int64, in digest: WebhookDigest,
                                          state: inout ConversationState) {
        guard status == state.status, let changed = state.statusChangedAt, changed > updatedAt,
              updatedAt > (state.previousStatusObservedAt ?? .min) else { return }
        state.statusChangedAt = updatedAt
        guard var last = state.transitions.last, last.to == status, last.at == changed else { return }
        last.at = updatedAt
        // The earliest witness names the agent; the bot and a customer are firm attributions.
        if case .agent? = last.cause, case .agent = cause(of: status, in: digest, state: state) {
            last.cause = cause(of: status, in: digest, state: state)
            state.statusCause = last.cause
        }
        state.transitions[state.transitions.count - 1] = last
        if last.from == .pending && last.to == .open { state.handoffAt = updatedAt }
    }

    private static func cause(of status: ConversationStatus, in digest: WebhookDigest, state: ConversationState) -> StatusCause {
        if state.requestedStatus?.status == status { return .bot }
        if digest.kind == .messageCreated, let message = digest.message, message.messageType == .incoming, !message.isPrivate,
           state.status == .resolved || state.status == .snoozed {
            return .customer
        }
        return .agent(assigneeId: digest.conversation?.assignedAgentId)
    }

    /// The payload was built during the current status period (or cannot tell).
    private static func isCurrent(_ digest: WebhookDigest, _ state: ConversationState) -> Bool {
        guard let updatedAt = digest.conversation?.updatedAt, let changed = state.statusChangedAt else { return true }
        return updatedAt >= changed
    }

    private static func fold(created message: WebhookDigest.Message, in digest: WebhookDigest, time: Int64,
                             into state: inout ConversationState, metrics: inout DailyMetrics) {
        let at = message.createdAt ?? digest.conversation?.updatedAt ?? time
        // Private notes and templates are recorded, never customer input.
        if message.isPrivate {
            state.counts.privateNotes += 1
            return
        }
        switch message.messageType {
        case .incoming?:
            state.counts.customer += 1
            metrics.customerMessages += 1
            state.firstCustomerMessageAt = min(state.firstCustomerMessageAt ?? at, at)
            state.lastCustomerMessageAt = max(state.lastCustomerMessageAt ?? at, at)
            record(CustomerInput(kind: .message, messageId: message.id, text: message.content ?? "", at: at), into: &state)
            attributeReopening(to: message, in: digest, state: &state)
        case .outgoing?:
            switch message.senderKind {
            case .user?:
                state.counts.humanAgent += 1
                metrics.agentReplies += 1
                guard isCurrent(digest, state) else { return }
                state.humanInvolved = true
                if !message.isPrivate { state.offeredOptions = nil } // the customer now answers the agent
                let shown = digest.conversation?.status ?? state.status
                if shown == .pending { state.humanActive = true }
                if shown == .open, let last = state.transitions.last, last.from == .pending, last.to == .open {
                    state.firstAgentReplyAt = min(state.firstAgentReplyAt ?? at, at)
                }
            case .agentBot?, .captainAssistant?:
                state.counts.bot += 1
                metrics.botReplies += 1
                if let text = message.content, !text.isEmpty {
                    state.lastBotMessages.append(String(text.prefix(500)))
                    if state.lastBotMessages.count > ConversationState.botMessageLimit { state.lastBotMessages.removeFirst() }
                }
            case .contact?, .other?, nil:
                state.counts.template += 1
            }
        case .template?, .activity?, .other?, nil:
            state.counts.template += 1
        }
    }

    /// A customer message created before the current status began, in a payload built after it,
    /// reopened the conversation (Chatwoot reopens before it sends `message_created`): the
    /// status change that arrived first and looked like an agent's was the customer's.
    private static func attributeReopening(to message: WebhookDigest.Message, in digest: WebhookDigest, state: inout ConversationState) {
        guard var last = state.transitions.last, case .agent? = last.cause, last.from == .resolved || last.from == .snoozed,
              last.to == state.status, let created = message.createdAt, created <= last.at,
              let built = digest.conversation?.updatedAt, built >= last.at else { return }
        last.cause = .customer
        state.transitions[state.transitions.count - 1] = last
        state.statusCause = .customer
    }

    private static func fold(updated message: WebhookDigest.Message, time: Int64, into state: inout ConversationState) {
        guard !message.isPrivate, let id = message.id, let answer = message.answer else { return }
        guard state.recordHandledSubmission(messageId: id) else {
            // Re-sent with a later update. If this copy was built earlier (it arrived late), the
            // submission happened no later than it.
            if let index = state.lastCustomerMessages.firstIndex(where: { $0.kind == .submission && $0.messageId == id }),
               time < state.lastCustomerMessages[index].at {
                var input = state.lastCustomerMessages.remove(at: index)
                input.at = time
                record(input, into: &state)
            }
            return
        }
        state.counts.submissions += 1
        record(CustomerInput(kind: .submission, messageId: id, text: answer.text ?? "", at: time), into: &state)
    }

    /// Keeps the newest inputs in time order (arrival order does not matter).
    private static func record(_ input: CustomerInput, into state: inout ConversationState) {
        let index = state.lastCustomerMessages.firstIndex {
            ($0.at, $0.messageId ?? .min) > (input.at, input.messageId ?? .min)
        } ?? state.lastCustomerMessages.endIndex
        state.lastCustomerMessages.insert(input, at: index)
        if state.lastCustomerMessages.count > ConversationState.customerMessageLimit { state.lastCustomerMessages.removeFirst() }
    }

    // MARK: - Decisions and results

    private static func fold(_ decision: Decision, seq: Seq, into state: inout ConversationState, metrics: inout DailyMetrics) {
        for (index, command) in decision.commands.enumerated() {
            state.pendingEffects.append(EffectReference(decision: seq, command: index, kind: command.kind))
            if case .scheduleTimer(let timer) = command {
                let position = state.timers.firstIndex { $0.dueAt > timer.dueAt } ?? state.timers.endIndex
                state.timers.insert(PendingTimer(name: timer.name, dueAt: timer.dueAt, decision: seq, command: index), at: position)
            }
            if case .setStatus(let change) = command {
                let wanted = change.status
                // Asking for the status it already has changes nothing Chatwoot would report.
                state.requestedStatus = wanted == state.status ? nil : RequestedStatus(status: wanted, decision: seq)
            }
        }
        let update = StateUpdate(explanation: decision.explanation)
        update.fold(into: &state, decision: seq)
        if update.fallback == true { metrics.fallbacks += 1 }
        foldOfferedOptions(of: decision, into: &state)
    }

    /// The options a customer may name in their next message: those of the bot's last public
    /// reply that offered any, while the bot still awaits that question's choice (a fallback
    /// reply in between leaves it awaited, and its buttons can still be tapped); a question
    /// without a slot or a next intent (a menu) keeps them only until the next public reply.
    private static func foldOfferedOptions(of decision: Decision, into state: inout ConversationState) {
        var repliedPublicly = false
        for command in decision.commands.reversed() {
            guard case .sendMessage(let message) = command, !message.isPrivate else { continue }
            if message.contentType == .inputSelect {
                state.offeredOptions = message.selectItems
                return
            }
            repliedPublicly = true
        }
        if repliedPublicly, state.awaiting?.kind != .select { state.offeredOptions = nil }
    }

    private static func fold(_ result: EffectResult, seq: Seq, into state: inout ConversationState, metrics: inout DailyMetrics) {
        let reference = state.pendingEffects.firstIndex { $0.decision == result.decision && $0.command == result.command }
        let effect = reference.map { state.pendingEffects.remove(at: $0) }
            ?? EffectReference(decision: result.decision, command: result.command, kind: result.kind)
        guard result.outcome == .failed else { return }
        state.failedEffects.append(FailedEffect(effect: effect, status: result.status, error: result.error, seq: seq))
        if state.failedEffects.count > ConversationState.failedEffectLimit { state.failedEffects.removeFirst() }
        state.failedEffectCount += 1
        metrics.effectsFailed += 1
        if state.requestedStatus?.decision == result.decision, effect.kind == "set_status" { state.requestedStatus = nil }
    }
}

extension ConversationStatusChange {
    /// The status this change asks for.
    var status: ConversationStatus {
        switch self {
        case .open: .open
        case .resolved: .resolved
        case .pending: .pending
        case .snoozed: .snoozed
        }
    }
}
