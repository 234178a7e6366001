import Chatwoot
import Domain
import Foundation
import Ledger
import Logging
import Policy
import Projections
import Reactor
import ServiceLifecycle

/// Keeps the projections (conversation state and the SQLite read models) up to date with the
/// ledger while `serve` runs and, with a policy, runs the reactor on every new input.
///
/// Per batch of new events: fold them in memory (``ProjectionStore/stage(_:)``), ask the
/// reactor about each input with its conversation's state before it, append the decisions
/// (durable, each with the input as causation), and only then commit the projections with their
/// checkpoint. So the checkpoint never passes an input whose decision is not in the ledger, and
/// after a crash the inputs past the checkpoint are decided again — except those whose decision
/// did reach the ledger, which are found by scanning past the checkpoint on start.
///
/// The reactor sees the ledger strictly in order (the state before seq N is the fold of every
/// event below N), which is exactly what `ledgerbot replay` re-derives.
///
/// It owns its own connection to `DATA/index.sqlite` (the ledger's indexer has another; WAL and
/// the busy timeout serialise the two writers).
public actor ProjectionService: Service {
    private let ledger: any LedgerStore
    private let directory: LedgerDirectory
    private let projections: ProjectionStore
    private let policy: Policy?
    private let logger: Logger
    private var waiters: [(Seq, CheckedContinuation<Void, Never>)] = []
    /// Inputs past the checkpoint whose decision is already in the ledger.
    private var decided = Set<Seq>()
    /// Inputs at or below this are not decided by this start: handled before (with a decision,
    /// or none was needed), before an earlier version's `decides_from`, or stored during a pause.
    private var decidedThrough: Seq = 0
    /// Whether it has recorded the version it runs (or the pause) and begun to follow the ledger.
    public private(set) var hasStarted = false
    /// Why the service stopped, when an error ended it (a ledger or projections failure); nil
    /// while it runs and after a shutdown.
    public private(set) var failure: String?
    /// Set when ``run()`` ended, however: ``waitUntilApplied(_:)`` no longer waits.
    public private(set) var stopped = false
    /// The bot version the ledger leaves in force when this service starts.
    private var versionInForce = BotVersionInForce()

    /// - Parameter policy: the bot version to run; nil records and projects only.
    public init(ledger: any LedgerStore, directory: LedgerDirectory, policy: Policy? = nil, logger: Logger) throws {
        self.ledger = ledger
        self.directory = directory
        self.policy = policy
        self.logger = logger
        // The projections live next to the ledger's file index, or in this instance's own data
        // directory when the ledger is shared in PostgreSQL (rebuilt from it on first start).
        try FileManager.default.createDirectory(atPath: directory.dataPath, withIntermediateDirectories: true)
        projections = try ProjectionStore(index: LedgerIndex(path: directory.indexPath, ledgerID: ledger.ledgerID))
    }

    public func run() async throws {
        failure = nil
        stopped = false
        // However it ends (shutdown, cancellation, an error), nothing is applied any more:
        // whoever waits for it is told now, not never.
        defer {
            stopped = true
            wakeWaiters()
        }
        do {
            try await cancelWhenGracefulShutdown { try await self.follow() }
        } catch {
            // An error raised while cancelled is the shutdown's doing (a read cut short), not a failure.
            if !(error is CancellationError) && !Task.isCancelled { failure = "\(error)" }
            throw error
        }
    }

    private func follow() async throws {
        let updates = ledger.subscribe()
        // Every commit, another instance's too: a decision it made just before this one took
        // the reactor's lease must be found, or its input would be answered twice.
        let head = try await ledger.committedHeadSeq()
        try projections.resetIfAhead(of: head)
        if projections.resetReason != nil || projections.checkpoint == 0 {
            logger.info("projections rebuilding from the ledger", metadata: ["reason": "\(projections.resetReason ?? "first start")", "ledger.head_seq": "\(head)"])
        }
        try await scanPastCheckpoint(through: head)
        if let policy {
            // After a pause, what was stored during it stays unanswered, even where this
            // instance's checkpoint lags (a standby taking the lease, a paused serve killed).
            if versionInForce.pausedAt != 0 { decidedThrough = max(decidedThrough, head) }
            try await activate(policy)
        } else if versionInForce.pausedAt == 0 {
            try await deactivate()
        }
        hasStarted = true
        let tail = try ledger.tail(from: projections.checkpoint + 1)
        try await process(tail, through: head)
        for await head in updates {
            try await process(tail, through: head)
        }
    }

    private func process(_ tail: any LedgerTailing, through head: Seq) async throws {
        while tail.nextSeq <= head {
            let events = try await tail.read(through: head, limit: 1024)
            if events.isEmpty { break }
            let staged = try projections.stage(events)
            if let policy {
                do {
                    try await decide(staged, policy: policy)
                } catch {
                    projections.discardStaged()
                    throw error
                }
            }
            try projections.commit(staged)
            wakeWaiters()
        }
    }

    private func decide(_ staged: StagedBatch, policy: Policy) async throws {
        var drafts: [EventDraft] = []
        for applied in staged.applied {
            let event = applied.event
            guard Self.inputTypes.contains(event.type) else { continue }
            guard event.seq > decidedThrough, !decided.contains(event.seq) else { continue }
            guard let decision = Reactor.decide(change: applied.change, event: event, policy: policy) else { continue }
            let stream = StreamName.conversation(account: Int64(decision.conversation.accountId), conversation: Int64(decision.conversation.conversationId))
            drafts.append(EventDraft(stream: stream, type: EventType.decision, time: Timestamp.micros(Date()), causation: event.seq,
                                     body: try decision.encoded()))
        }
        guard !drafts.isEmpty else { return }
        _ = try await ledger.append(drafts)
    }

    /// The event types the reactor reacts to.
    static let inputTypes: Set<String> = [EventType.webhookReceived, EventType.effectResult, EventType.timerFired]

    /// Timers due at `now` (µs) that are not fired yet, oldest first.
    public func dueTimers(at now: Int64) -> [(ConversationAddress, PendingTimer)] {
        projections.conversations.values.flatMap { state in state.timers.filter { $0.dueAt <= now }.map { (state.address, $0) } }
            .sorted { ($0.1.dueAt, $0.1.decision) < ($1.1.dueAt, $1.1.decision) }
    }

    /// Between the checkpoint and the head: decisions, whose inputs must not be decided again;
    /// versions activated, which decided (or left to the pause before them) every input before
    /// their `decides_from`; and whether a bot version is in force at the head.
    private func scanPastCheckpoint(through head: Seq) async throws {
        versionInForce = projections.versionInForce
        let checkpoint = projections.checkpoint
        guard head > checkpoint else { return }
        let tail = try ledger.tail(from: checkpoint + 1)
        while tail.nextSeq <= head {
            let events = try await tail.read(through: head, limit: 4096)
            if events.isEmpty { break }
            for event in events {
                versionInForce.apply(event)
                switch event.type {
                case EventType.decision:
                    guard let cause = event.causation else { continue }
                    // Without a policy nothing is decided: no need to hold every decision's input.
                    if policy != nil { decided.insert(cause) }
                    decidedThrough = max(decidedThrough, cause)
                case EventType.policyActivated:
                    // As replay does: a `decides_from` at or past its own event means nothing more.
                    if let from = try? PolicyActivation.Record(event.body).decidesFrom, from > 0 {
                        decidedThrough = max(decidedThrough, min(from, event.seq) - 1)
                    }
                default:
                    break
                }
            }
        }
        if !decided.isEmpty {
            logger.info("resuming after a restart", metadata: ["reactor.decisions_found": "\(decided.count)", "reactor.decided_through": "\(decidedThrough)"])
        }
    }

    /// Records the bot version in force from here on (with its text, so replay can rebuild it),
    /// and the first input it decides: webhooks stored past the checkpoint while no bot was
    /// deciding lie before this event in the ledger, and this version decides them.
    private func activate(_ policy: Policy) async throws {
        let decidesFrom = firstUndecidedInput
        _ = try await ledger.append([EventDraft(stream: PolicyActivation.stream, type: EventType.policyActivated, time: Timestamp.micros(Date()),
                                                body: try PolicyActivation.encode(policy, decidesFrom: decidesFrom))])
        logger.info("policy active", metadata: ["policy.id": "\(policy.id)", "policy.sha256": "\(policy.contentHash.prefix(12))"])
    }

    /// Records that no version decides from here on: this `serve` runs without a policy (the bot
    /// paused, or recording only). Replay then decides nothing past it either, and the version
    /// that starts next leaves what was recorded meanwhile unanswered, even on projections
    /// rebuilt from nothing (a new PostgreSQL instance), where its checkpoint would not say so.
    private func deactivate() async throws {
        _ = try await ledger.append([EventDraft(stream: PolicyActivation.stream, type: EventType.policyDeactivated, time: Timestamp.micros(Date()),
                                                body: PolicyActivation.encodeDeactivation(from: firstUndecidedInput))])
        logger.info("no policy: recording only; no bot version decides from here on")
    }

    /// The first input the version starting now decides (or, without one, leaves undecided).
    private var firstUndecidedInput: Seq { max(projections.checkpoint, decidedThrough) + 1 }

    /// Returns once every event through `seq` is folded in and decided — its batch committed, so
    /// its decisions are in the ledger (the actor is reentrant while they are appended) — or the
    /// service stopped (``failure`` says why when an error stopped it).
    public func waitUntilApplied(_ seq: Seq) async {
        if projections.committedCheckpoint >= seq || stopped { return }
        await withCheckedContinuation { waiters.append((seq, $0)) }
    }

    private func wakeWaiters() {
        let reached = projections.committedCheckpoint
        waiters.removeAll { seq, continuation in
            guard seq <= reached || stopped else { return false }
            continuation.resume()
            return true
        }
    }

    /// Whether a human owns `conversation` now (see ``Projections/ConversationState/humanOwns(agentReplySilencesBot:)``,
    /// under this service's policy), once the projections have folded at least through `seq`: a
    /// service started on an old checkpoint (a standby taking over, a rebuilt index) would
    /// otherwise answer from what it knew long ago.
    public func humanOwns(_ conversation: ConversationAddress, knownThrough seq: Seq, decision: Seq) async -> Bool {
        await waitUntilApplied(seq)
        return projections[conversation]?.humanOwns(agentReplySilencesBot: policy?.handoff.silenceOnAgentReply ?? true, decision: decision) ?? false
    }

    /// The projected state of one conversation (nil when the ledger has none).
    public func state(of conversation: ConversationAddress) -> ConversationState? { projections[conversation] }

    /// The conversations with the newest activity first (at most `limit`).
    public func recentConversations(limit: Int = 200) -> [ConversationState] {
        Array(projections.conversations.values.sorted { ($0.lastEventAt ?? 0, $0.address.conversationId) > ($1.lastEventAt ?? 0, $1.address.conversationId) }.prefix(limit))
    }

    /// Every conversation of one contact (any inbox of the account), oldest first.
    public func conversations(ofContact contactId: Int, account: Int) -> [ConversationState] {
        projections.conversations.values.filter { $0.address.accountId == account && $0.contact?.id == contactId }
            .sorted { ($0.createdAt ?? $0.lastEventAt ?? 0) < ($1.createdAt ?? $1.lastEventAt ?? 0) }
    }

    /// The last ledger seq folded into the projections.
    public var checkpoint: Seq { projections.checkpoint }
}
