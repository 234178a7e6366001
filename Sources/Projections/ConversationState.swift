import Chatwoot
import Ledger

/// What Ledgerbot knows about one Chatwoot conversation, folded from the ledger by ``Projector``.
///
/// The bot token cannot read conversations back (docs/chatwoot-protocol.md §7.1), so this value is the bot's
/// only view of who owns a conversation and what was said. It is a plain value: `Equatable` (a
/// rebuild is compared with the live state), `Codable` (stored in `index.sqlite` so a restart
/// resumes from the checkpoint instead of re-folding the ledger) and free of clocks — every time
/// in it comes from an event, as microseconds since 1970-01-01 UTC (like ``LedgerEvent/time``).
///
/// Status is order-robust: Chatwoot delivers webhooks concurrently, and each payload carries the
/// status *when it was built* with the conversation's `updated_at`. The status of the newest
/// payload wins; an older payload arriving late never overwrites it (see ``statusObservedAt``).
///
/// Slots are conversation-scoped unless their name starts with ``contactSlotPrefix``: a
/// resolved conversation forgets the others (and ``authenticated``), so a customer who comes back
/// starts afresh but keeps what the bot knows about *them*.
public struct ConversationState: Sendable, Equatable, Codable {
    /// Last customer inputs kept in ``lastCustomerMessages``.
    public static let customerMessageLimit = 5
    /// Entries kept in ``transitions``.
    public static let transitionLimit = 20
    /// Entries kept in ``failedEffects`` (``failedEffectCount`` counts them all).
    public static let failedEffectLimit = 10
    /// Message ids remembered to ignore a `message_created` delivered twice under different ids.
    static let recentMessageLimit = 32
    /// Message ids kept in ``handledSubmissions``: the newest; every older id counts as handled.
    public static let handledSubmissionLimit = 256
    /// Slots whose name starts with this survive ``ConversationStatus/resolved``.
    public static let contactSlotPrefix = "contact."
    /// Entries kept in ``intentHistory``.
    public static let intentLimit = 10
    /// Entries kept in ``lastBotMessages``.
    public static let botMessageLimit = 3
    /// Entries kept in ``notedKeys``.
    public static let noteKeyLimit = 50

    // MARK: Identity

    /// Account id and conversation display id (the id used in REST paths).
    public var address: ConversationAddress
    public var inboxId: Int?
    /// The inbox channel class, e.g. `Channel::WebWidget`.
    public var channel: String?

    // MARK: Status

    /// `pending` = the bot owns the conversation, `open` = a human does; `nil` until a payload says.
    public var status: ConversationStatus?
    /// Chatwoot's `updated_at` of the newest payload whose status was applied. A payload with an
    /// older `updated_at` was built before, so its status is stale and is not applied.
    public var statusObservedAt: Int64?
    /// The newest observation of the status before the current one: the current status began
    /// after it. Lets a late payload move ``statusChangedAt`` earlier without crossing it.
    public var previousStatusObservedAt: Int64?
    /// When the current status began (the earliest payload that shows it).
    public var statusChangedAt: Int64?
    /// Who caused the current status, when known.
    public var statusCause: StatusCause?
    /// Every status change seen, oldest first (the last ``transitionLimit``).
    public var transitions: [StatusTransition] = []
    /// The status the bot asked for (`toggle_status`) and has not seen applied yet: the change
    /// that matches it is attributed to the bot.
    public var requestedStatus: RequestedStatus?

    // MARK: People

    public var contact: ContactInfo?
    /// A human agent wrote to the customer while the conversation was `pending`: a human is
    /// there, so by default the bot stays quiet. Cleared when the status next becomes `pending`
    /// (an agent handing back) or `resolved`.
    public var humanActive = false
    /// A human took part since the conversation was last resolved (hand-off or agent reply):
    /// decides whether a resolution counts as by the bot or by an agent.
    public var humanInvolved = false

    // MARK: Messages

    public var counts = MessageCounts()
    /// The newest customer inputs (messages and widget submissions), oldest first.
    public var lastCustomerMessages: [CustomerInput] = []
    /// What bots last told the customer (the last ``botMessageLimit`` public texts, oldest first).
    public var lastBotMessages: [String] = []
    /// Ids of messages whose widget submission was already folded, ascending. Chatwoot re-sends
    /// the same `submitted_values` on every later update of the message (delivery status…).
    /// The newest ``handledSubmissionLimit``; once full, an id below them all counts as handled
    /// (it is older than 256 submissions: a widget that old answers nothing now), so a long
    /// conversation's state does not grow with every form.
    public var handledSubmissions: [Int] = []
    /// The newest message ids seen in `message_created` (ascending), to count each message once.
    public var recentMessageIds: [Int] = []

    // MARK: Reactor memory (from decision explanations, see ``StateUpdate``)

    public var slots: [String: String] = [:]
    public var authenticated = false
    public var lastIntent: IntentScore?
    /// The intents recognised, oldest first (the last ``intentLimit``; a repeat of the previous one is not added).
    public var intentHistory: [IntentScore] = []
    public var consecutiveFallbacks = 0
    /// Everything not understood since the conversation was last resolved.
    public var totalFallbacks = 0
    /// What the bot asked for last and waits on (a slot, a widget answer, a lookup's result).
    public var awaiting: Awaiting?
    /// The options of the `input_select` in the bot's last public reply, nil when that reply had
    /// none. Outside the website widget a customer answers one with a message, not a click
    /// (WhatsApp sends the option's title, Telegram its value: docs/chatwoot-protocol.md §6), so
    /// the reactor takes a message that names one of these as that choice.
    public var offeredOptions: [SelectItem]?
    /// Widget questions (an `input_select`, a `form`) the bot moved past, newest last (at most
    /// ``earlierQuestionLimit``), each with the decision that asked it: a customer who scrolls
    /// back and answers an old widget answers that question, not the one the bot waits on now.
    public var earlierQuestions: [Awaiting] = []
    /// Failed authentication attempts since the conversation was last resolved.
    public var authFailures = 0
    /// The last answer of each lookup, by lookup name (``Domain/LookupAnswer`` JSON).
    public var lookups: [String: JSONValue] = [:]
    /// Why the bot last handed the conversation to a human.
    public var handoffReason: String?
    /// The customer's last satisfaction rating (1…5).
    public var csatRating: Int?
    /// The contact's other conversations (any inbox of the account) when this conversation
    /// began, the newest ``earlierConversationLimit`` by id; nil when there were none.
    public var earlierConversations: [EarlierConversation]?
    public static let earlierConversationLimit = 20
    /// Keys of private notes already posted for agents (the newest ``noteKeyLimit``), so the same
    /// fact is not noted twice.
    public var notedKeys: [String] = []

    // MARK: Timers

    /// Timers decided and not fired yet, by due time.
    public var timers: [PendingTimer] = []
    /// Times (µs) of the private notes monitoring posted in the last hour (at most 1,000), for the hourly limit.
    public var monitorNoteTimes: [Int64] = []

    // MARK: Effects

    /// Commands decided whose result is not in the ledger yet, in decision order.
    public var pendingEffects: [EffectReference] = []
    /// The newest failed commands (the last ``failedEffectLimit``).
    public var failedEffects: [FailedEffect] = []
    public var failedEffectCount = 0

    // MARK: Times (µs since 1970, from events)

    /// The conversation's `created_at` in Chatwoot.
    public var createdAt: Int64?
    public var firstCustomerMessageAt: Int64?
    public var lastCustomerMessageAt: Int64?
    /// When the last hand-off (`pending` → `open`) happened.
    public var handoffAt: Int64?
    /// The first human agent reply after the last hand-off.
    public var firstAgentReplyAt: Int64?

    /// The last ledger event that changed this state, and its recorded time.
    public var lastSeq: Seq = 0
    public var lastEventAt: Int64?

    public init(address: ConversationAddress) {
        self.address = address
    }

    // MARK: Queries

    /// The bot owns the conversation (`pending`) and no human has stepped in.
    public var botMaySpeak: Bool { botMaySpeak(agentReplySilencesBot: true) }

    /// The bot owns the conversation (`pending`) and no human has stepped in — an agent's reply
    /// while it was `pending` counts only when it silences the bot (the policy's
    /// `handoff.silence_on_agent_reply`, true by default).
    public func botMaySpeak(agentReplySilencesBot: Bool) -> Bool {
        status == .pending && !humanOwns(agentReplySilencesBot: agentReplySilencesBot)
    }

    /// A human owns the conversation now: it was handed off (`open`, or the bot asked for `open`
    /// and Chatwoot's status webhook has not come yet), or an agent replied while it was `pending`
    /// and that silences the bot. The outbox sends nothing the customer would see then.
    /// - Parameter decision: the seq of the decision whose command asks; a hand-off the bot asked
    ///   for in that decision or a later one does not count (the hand-off's own reply comes
    ///   before its status change). nil: any.
    public func humanOwns(agentReplySilencesBot: Bool, decision: Seq? = nil) -> Bool {
        if status == .open || (humanActive && agentReplySilencesBot) { return true }
        guard let requested = requestedStatus, requested.status == .open else { return false }
        return decision.map { requested.decision < $0 } ?? true
    }

    public static let earlierQuestionLimit = 4

    /// The question of decision `seq`: the current one, or one of ``earlierQuestions``.
    public func question(askedBy seq: Seq) -> Awaiting? {
        if let awaiting, awaiting.decision == seq { return awaiting }
        return earlierQuestions.last { $0.decision == seq }
    }

    /// Remembers a widget question the bot moves past (answered or not: a widget answered once
    /// is not answered again, ``hasHandledSubmission(messageId:)``).
    mutating func movePast(_ question: Awaiting) {
        guard question.kind == .select || question.kind == .form, let decision = question.decision,
              !earlierQuestions.contains(where: { $0.decision == decision }) else { return }
        earlierQuestions.append(question)
        if earlierQuestions.count > Self.earlierQuestionLimit { earlierQuestions.removeFirst(earlierQuestions.count - Self.earlierQuestionLimit) }
    }

    /// Whether the submission on message `id` was already folded. The reactor asks this on the
    /// state *before* folding the `message_updated` that carries it.
    public func hasHandledSubmission(messageId id: Int) -> Bool {
        Self.sortedContains(handledSubmissions, id) || isBelowHandledSubmissions(id)
    }

    /// Records the submission on message `id`; false when it counts as handled already.
    mutating func recordHandledSubmission(messageId id: Int) -> Bool {
        guard !isBelowHandledSubmissions(id), Self.sortedInsert(&handledSubmissions, id) else { return false }
        if handledSubmissions.count > Self.handledSubmissionLimit { handledSubmissions.removeFirst(handledSubmissions.count - Self.handledSubmissionLimit) }
        return true
    }

    private func isBelowHandledSubmissions(_ id: Int) -> Bool {
        handledSubmissions.count >= Self.handledSubmissionLimit && id < handledSubmissions[0]
    }

    // MARK: Slots

    /// Sets (or, with `nil`, clears) a slot.
    public mutating func setSlot(_ name: String, to value: String?) {
        slots[name] = value
    }

    public mutating func clearSlot(_ name: String) {
        slots[name] = nil
    }

    /// Clears every conversation-scoped slot (all but those named ``contactSlotPrefix``…).
    public mutating func clearConversationSlots() {
        slots = slots.filter { $0.key.hasPrefix(Self.contactSlotPrefix) }
    }

    // MARK: Helpers

    static func sortedContains(_ array: [Int], _ value: Int) -> Bool {
        let index = insertionIndex(array, value)
        return index < array.count && array[index] == value
    }

    /// Inserts `value` keeping `array` ascending; false when already present.
    @discardableResult
    static func sortedInsert(_ array: inout [Int], _ value: Int) -> Bool {
        let index = insertionIndex(array, value)
        if index < array.count && array[index] == value { return false }
        array.insert(value, at: index)
        return true
    }

    private static func insertionIndex(_ array: [Int], _ value: Int) -> Int {
        var low = 0
        var high = array.count
        while low < high {
            let mid = (low + high) / 2
            if array[mid] < value { low = mid + 1 } else { high = mid }
        }
        return low
    }
}
