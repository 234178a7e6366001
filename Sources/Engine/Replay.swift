import Chatwoot
import Domain
import Foundation
import Ledger
import Policy
import Projections
import Reactor

/// Re-runs the projector and the reactor over a recorded ledger and compares every re-derived
/// decision with the recorded one — the proof that the bot is deterministic, and, with another
/// policy, the what-if of a new bot version on real history.
///
/// The fold is the live one (``ConversationStore`` in ledger order, the state before each input),
/// and effect results are the recorded ones, so with the recorded policy every decision must come
/// out byte for byte the same. Under another policy the state still follows what really happened
/// (recorded decisions and customer answers): after the first divergence the customer might have
/// answered differently, and the report says so.
public final class Replayer {
    public struct Options: Sendable {
        /// Replay under this bot version instead of the recorded ones (what-if).
        public var policy: Policy?
        public var conversationId: Int?
        public var accountId: Int?
        public var inboxId: Int?
        /// Inputs recorded from/until these times (µs since 1970).
        public var since: Int64?
        public var until: Int64?
        /// With a what-if policy: performs the read-only effects (GET lookups, external NLU) the
        /// new version asks that were never recorded, and continues each turn with their results.
        public var live: (any LiveEffects)?
        /// Measures where the time goes (``ReplayReport/timing``): reading, folding, deciding,
        /// comparing. Costs a clock read per phase of each event.
        public var timing = false
        /// Reads every webhook from its raw body, re-deriving the compact form ingest recorded
        /// beside it (`--from-raw`): slower, and independent of what ingest derived.
        public var fromRawBody = false
        /// With more than one, a ledger directory is read (inflated, decoded, its webhooks'
        /// digests read) on a thread of its own, ahead of the fold and the reactor
        /// (``ReplayReadAhead``); with one, everything runs on the calling thread. Same report either way.
        public var threads = min(2, ProcessInfo.processInfo.activeProcessorCount)
        /// At most about this many conversation states stay in memory; the others wait in a
        /// temporary file (``Projections/ConversationSpill``, under `TMPDIR`) until an event needs
        /// them, so memory does not grow with the ledger's conversations. nil keeps them all in
        /// memory (as does 0). Same report either way.
        public var residentConversations: Int? = Self.defaultResidentConversations
        /// About 65 MB of states (3.3 KB each on the generated ledger of `tools/bench-replay.sh`),
        /// so a replay stays well under 200 MB; a state moved out costs about 75 µs.
        public static let defaultResidentConversations = 20_000
        /// How many inputs without a recorded decision yet replay keeps, to decide them again
        /// when a bot version that came up after they were stored is activated (``UndecidedInputs``).
        public var undecidedInputLimit = Self.defaultUndecidedInputLimit
        /// Up to about 30 MB of states when full (3.3 KB each, above): far more inputs than a
        /// restart leaves undecided, unless ingest ran a long time with no bot deciding.
        public static let defaultUndecidedInputLimit = 8192

        public init(policy: Policy? = nil, conversationId: Int? = nil, accountId: Int? = nil, inboxId: Int? = nil,
                    since: Int64? = nil, until: Int64? = nil, live: (any LiveEffects)? = nil) {
            self.live = live
            self.policy = policy
            self.conversationId = conversationId
            self.accountId = accountId
            self.inboxId = inboxId
            self.since = since
            self.until = until
        }
    }

    private enum Source {
        case directory(LedgerDirectory)
        case store(any LedgerStore)
    }

    private let source: Source
    private let options: Options
    private let policies: PolicyCache

    /// - Parameter policies: recorded policies already loaded (training the NLU is the costly
    ///   part of loading); share one between replays of ledgers with the same bot versions.
    public init(directory: LedgerDirectory, options: Options = .init(), policies: PolicyCache = PolicyCache()) {
        source = .directory(directory)
        self.options = options
        self.policies = policies
    }

    /// Replays an open store (the PostgreSQL ledger) up to its head when the replay starts.
    public init(ledger: any LedgerStore, options: Options = .init(), policies: PolicyCache = PolicyCache()) {
        source = .store(ledger)
        self.options = options
        self.policies = policies
    }

    /// Events in seq order from either source, with their inputs when they were read ahead.
    private struct Events {
        let cursor: LedgerCursor?
        let readAhead: ReplayReadAhead?
        let tail: (any LedgerTailing)?
        let head: Seq
        let fromRawBody: Bool
        var buffer: [ReplayReadAhead.Item] = []
        var index = 0

        init(_ source: Source, options: Options) async throws {
            fromRawBody = options.fromRawBody
            switch source {
            case .directory(let directory) where options.threads > 1:
                readAhead = try ReplayReadAhead(directory: directory, fromRawBody: options.fromRawBody)
                cursor = nil
                tail = nil
                head = .max
            case .directory(let directory):
                cursor = try LedgerCursor(directory: directory, decoders: 0, deferringBodies: !options.fromRawBody)
                readAhead = nil
                tail = nil
                head = .max
            case .store(let store):
                cursor = nil
                readAhead = nil
                tail = try store.tail(from: 1)
                head = await store.headSeq()
            }
        }

        var tornTail: TornTail? { cursor?.tornTail ?? readAhead?.tornTail }

        /// Ends the read-ahead thread when the replay stops before the end (an error).
        func stop() { readAhead?.stop() }

        mutating func next() async throws -> ReplayReadAhead.Item? {
            if let cursor { return try cursor.next().map { try ReplayReadAhead.Item($0, from: cursor, fromRawBody: fromRawBody) } }
            if index == buffer.count {
                if let readAhead {
                    guard let batch = try readAhead.next() else { return nil }
                    readAhead.recycle(buffer)
                    buffer = batch
                } else {
                    guard let tail, tail.nextSeq <= head else { return nil }
                    buffer = try await tail.read(throughCommitted: head, limit: 4096).map { ReplayReadAhead.Item(event: $0, input: nil) }
                }
                index = 0
                if buffer.isEmpty { return nil }
            }
            defer { index += 1 }
            return buffer[index]
        }
    }

    /// - Parameter progress: called about once a second with (events read, head seq).
    /// - Throws: ledger errors, or ``ReplayError`` when a recorded policy cannot be loaded.
    public func run(progress: (Int, Seq) -> Void = { _, _ in }) async throws -> ReplayReport {
        var events = try await Events(source, options: options)
        defer { events.stop() }
        let residentLimit = options.residentConversations.flatMap { $0 > 0 ? $0 : nil }
        let spill = try residentLimit.map { _ in try ConversationSpill() }
        var store = ConversationStore()
        if let spill, let residentLimit { store = ConversationStore(spill: spill, residentLimit: residentLimit) }
        var report = ReplayReport(policy: options.policy?.id)
        var active: Policy?
        var derived: [Seq: (address: ConversationAddress, decision: Decision, time: Int64)] = [:]
        var syntheticSeqs: Seq = 1 << 62
        // With --live, the decisions replay derived for inputs the recorded bot may have said
        // nothing to, in seq order: performed once a later input's decision shows nothing was.
        var liveUnrecorded = LiveUnrecorded()
        var decodedDecision: Decision?
        var undecided = UndecidedInputs(limit: options.undecidedInputLimit)
        var lastCause: Seq = 0
        var lastProgress = ContinuousClock.now
        var clock = PhaseClock(enabled: options.timing)
        while let item = try await events.next() {
            let event = item.event
            clock.lap(\.read)
            report.events += 1
            report.headSeq = event.seq
            if report.events % 4096 == 1 { try Task.checkCancellation() } // a cancelled replay stops, from its first event on
            if report.events % 4096 == 0, ContinuousClock.now - lastProgress > .seconds(1) {
                progress(report.events, event.seq)
                lastProgress = ContinuousClock.now
            }
            switch event.type {
            case EventType.policyActivated:
                let (record, recorded) = try policies.activation(recordedIn: event)
                active = options.policy ?? recorded
                report.recordedPolicies.append(recorded.id)
                if let from = record.decidesFrom, from < event.seq, let policy = active {
                    if from <= lastCause {
                        report.warnings.append("the bot version activated at seq \(event.seq) says it decides the inputs from seq \(from) on, "
                                               + "but the input at seq \(lastCause) was decided before it: its later decisions of those inputs are not re-derived")
                    }
                    redecide(undecided, from: from, activatedAt: event.seq, policy: policy, derived: &derived, report: &report)
                }
            case EventType.policyDeactivated:
                // The bot paused: no version decided from `from` on, under the recorded versions or a what-if.
                active = nil
                let from = min(PolicyActivation.deactivationFrom(event.body) ?? event.seq, event.seq)
                let before = derived.count
                derived = derived.filter { $0.key < from }
                report.inputsDecided -= before - derived.count
            case EventType.decision:
                guard let cause = event.causation else { break }
                // Filters and the report use the input's time; the decision's own is later (seconds,
                // or hours for an input decided after a restart).
                let inputTime = derived[cause]?.time ?? undecided.time(of: cause) ?? event.time
                undecided.decided(through: cause)
                lastCause = max(lastCause, cause)
                let mine = derived.removeValue(forKey: cause)
                if let live = options.live {
                    await performLive(unrecordedBefore: cause, &liveUnrecorded, derived: derived, store: store, policy: active ?? options.policy, live: live, counter: &syntheticSeqs)
                }
                // Identical bytes: the re-derived decision *is* the recorded one, so the recorded
                // JSON is not decoded at all; otherwise it is decoded once, for the report and the fold.
                let same = mine.map { Self.encodes($0.decision, to: event.body) } ?? false
                let recorded = same ? mine!.decision : try? Decision.decode(event.body)
                decodedDecision = recorded
                guard let address = recorded?.conversation ?? mine?.address, selected(address, inputTime: inputTime, state: store[address]) else { break }
                report.compared += 1
                if same {
                    report.identical += 1
                } else {
                    var change = DecisionChange(conversation: address, inputSeq: cause, recordedSeq: event.seq,
                                                recorded: recorded, replayed: mine?.decision, time: inputTime)
                    if let live = options.live, let policy = active, let mine {
                        change.live = await performLive(mine.decision, recorded: recorded, input: cause, time: mine.time,
                                                        store: store, policy: policy, live: live, counter: &syntheticSeqs)
                    }
                    report.changes.append(change)
                }
            default:
                break
            }
            clock.lap(\.compare)
            let input = decodedDecision.map(Projector.Input.decision) ?? item.input ?? Projector.Input(event, fromRawBody: options.fromRawBody)
            let change = store.apply(event, input: input)
            decodedDecision = nil
            try store.evictIfNeeded()
            clock.lap(\.fold)
            let isInput = ProjectionService.inputTypes.contains(event.type)
            let decided = active.flatMap { policy in isInput ? Reactor.decide(change: change, event: event, policy: policy) : nil }
            // A decision implies mayReact; checking it first skips the switch for most inputs.
            if isInput, decided != nil || Reactor.mayReact(to: change.input) {
                // The reactor reads the event's seq and time; its body may be large and is read already.
                let bare = LedgerEvent(seq: event.seq, stream: event.stream, type: event.type, time: event.time, causation: event.causation, body: [])
                undecided.append(UndecidedInputs.Input(event: bare, before: change.before, read: change.input))
            }
            clock.lap(\.decide)
            guard let decision = decided else { continue }
            report.inputsDecided += 1
            derived[event.seq] = (decision.conversation, decision, event.time)
            if options.live != nil { liveUnrecorded.inputs.append(event.seq) }
        }
        // A damaged last frame reads like a torn write; the index knows whether it was acknowledged.
        if case .directory(let directory) = source,
           let damage = LedgerInspection.acknowledgedDamage(directory: directory, torn: events.tornTail, readHead: report.headSeq) {
            throw ReplayError(message: "the ledger is damaged: \(damage)")
        }
        // Decisions the replay makes that the ledger never recorded (the recorded bot said nothing).
        // Those for inputs after the last recorded decision's input may only not be recorded *yet*:
        // replay takes no lock and may read while the bot is deciding, or `serve` stopped first.
        // Under the recorded versions they are not compared; under another version they are
        // reported, and the warning says what they may mean.
        if let live = options.live {
            await performLive(unrecordedBefore: .max, &liveUnrecorded, derived: derived, store: store, policy: active ?? options.policy, live: live, counter: &syntheticSeqs)
        }
        var notYet: [Seq] = []
        for (seq, mine) in derived.sorted(by: { $0.key < $1.key }) where selected(mine.address, inputTime: mine.time, state: store[mine.address]) {
            if seq > lastCause {
                notYet.append(seq)
                if options.policy == nil { continue }
            }
            report.compared += 1
            var change = DecisionChange(conversation: mine.address, inputSeq: seq, recordedSeq: nil, recorded: nil, replayed: mine.decision, time: mine.time)
            change.live = liveUnrecorded.steps[seq] ?? []
            report.changes.append(change)
        }
        if !notYet.isEmpty {
            let seqs = notYet.prefix(5).map { "\($0)" }.joined(separator: ", ") + (notYet.count > 5 ? ", …" : "")
            report.warnings.append("\(notYet.count) input(s) after the last recorded decision (seq \(seqs)) have no decision recorded yet: "
                                   + "the ledger was read while the bot was deciding them, or it stopped first; "
                                   + (options.policy == nil ? "they are not compared" : "a change reported for them may mean only that"))
        }
        try store.evictIfNeeded() // throws if a spilled state could not be read back: the fold is not to be trusted
        report.changes.sort { ($0.inputSeq, $0.recordedSeq ?? 0) < ($1.inputSeq, $1.recordedSeq ?? 0) }
        report.timing = clock.timing
        report.spilledStates = spill?.counts
        return report
    }

    /// A version activated at `activatedAt` decided the inputs from `from` on that ingest stored
    /// before it came up: decide them again with it, as live did.
    private func redecide(_ undecided: UndecidedInputs, from: Seq, activatedAt: Seq, policy: Policy,
                          derived: inout [Seq: (address: ConversationAddress, decision: Decision, time: Int64)], report: inout ReplayReport) {
        if undecided.droppedThrough >= from {
            report.warnings.append("the bot version activated at seq \(activatedAt) decided the inputs stored from seq \(from) on, "
                                   + "but replay keeps only the last \(options.undecidedInputLimit) undecided inputs: those through seq "
                                   + "\(undecided.droppedThrough) are compared with the version in force when they were stored")
        }
        undecided.forEach(from: from) { input in
            let seq = input.event.seq
            if let decision = Reactor.decide(before: input.before, input: input.read, event: input.event, policy: policy) {
                if derived.updateValue((decision.conversation, decision, input.event.time), forKey: seq) == nil { report.inputsDecided += 1 }
            } else if derived.removeValue(forKey: seq) != nil {
                report.inputsDecided -= 1
            }
        }
    }

    /// Whether `decision` is recorded as `body`. A difference is checked once more against
    /// `JSONEncoder`'s bytes, which earlier versions recorded, so an encoder change can never
    /// show up as a changed decision.
    static func encodes(_ decision: Decision, to body: [UInt8]) -> Bool {
        if (try? decision.encoded()) == body { return true }
        return (try? CanonicalBytes.foundationEncoded(decision)) == body
    }

    /// The decisions replay derived that may have no recorded counterpart, for `--live`.
    private struct LiveUnrecorded {
        /// Inputs replay decided, in seq order; those before `next` are dealt with.
        var inputs: [Seq] = []
        var next = 0
        /// What was performed for each input that turned out to have no recorded decision.
        var steps: [Seq: [LiveStep]] = [:]
    }

    /// With `--live`: a decision recorded for input `seq` means the inputs before it that are
    /// still in `derived` got none (live decides in seq order). Their never-recorded read-only
    /// effects are performed now, as for a recorded decision that differs, with the state as it
    /// stands here (the nearest the replay has to when they were decided).
    private func performLive(unrecordedBefore seq: Seq, _ pending: inout LiveUnrecorded,
                             derived: [Seq: (address: ConversationAddress, decision: Decision, time: Int64)],
                             store: ConversationStore, policy: Policy?, live: any LiveEffects, counter: inout Seq) async {
        while pending.next < pending.inputs.count, pending.inputs[pending.next] < seq {
            let input = pending.inputs[pending.next]
            pending.next += 1
            guard let mine = derived[input], let policy, selected(mine.address, inputTime: mine.time, state: store[mine.address]) else { continue }
            pending.steps[input] = await performLive(mine.decision, recorded: nil, input: input, time: mine.time, store: store,
                                                     policy: policy, live: live, counter: &counter)
        }
        if pending.next > 4096, pending.next * 2 > pending.inputs.count {
            pending.inputs.removeFirst(pending.next)
            pending.next = 0
        }
    }

    /// Performs the read-only effects of `decision` that the recorded decision did not ask for,
    /// then lets the reactor continue the turn on a scratch copy of the state (the recorded fold
    /// is never touched), up to three effects deep.
    private func performLive(_ decision: Decision, recorded: Decision?, input: Seq, time: Int64, store: ConversationStore,
                             policy: Policy, live: any LiveEffects, counter: inout Seq) async -> [LiveStep] {
        let recordedEffects = Set((recorded?.commands ?? []).compactMap(Self.effectName))
        var steps: [LiveStep] = []
        var scratch = store
        var pending = decision
        var cause = input
        for _ in 0..<3 {
            let decisionSeq = counter
            counter += 2
            let stream = StreamName.conversation(account: Int64(pending.conversation.accountId), conversation: Int64(pending.conversation.conversationId))
            guard let body = try? pending.encoded() else { break }
            scratch.apply(LedgerEvent(seq: decisionSeq, stream: stream, type: EventType.decision, time: time, causation: cause, body: body))
            var next: Decision?
            for (index, command) in pending.commands.enumerated() {
                guard let name = Self.effectName(command), !recordedEffects.contains(name) else { continue }
                guard let result = await live.perform(command, decision: decisionSeq, index: index) else {
                    steps.append(LiveStep(effect: name, result: nil, followUp: nil))
                    continue
                }
                guard let resultBody = try? result.encoded() else { continue }
                let event = LedgerEvent(seq: decisionSeq + 1, stream: stream, type: EventType.effectResult, time: time, causation: decisionSeq, body: resultBody)
                let change = scratch.apply(event)
                let followUp = Reactor.decide(change: change, event: event, policy: policy)
                steps.append(LiveStep(effect: name, result: result, followUp: followUp))
                next = followUp
                cause = event.seq
                break // one effect answered at a time, as the outbox does
            }
            guard let following = next else { break }
            pending = following
        }
        return steps
    }

    /// `lookup NAME` or `understand ENGINE`; nil for commands that are not asking effects.
    static func effectName(_ command: Command) -> String? {
        switch command {
        case .lookup(let call): return "lookup \(call.name)"
        case .understand(let request): return "understand \(request.engine)"
        default: return nil
        }
    }

    private func selected(_ address: ConversationAddress, inputTime: Int64, state: ConversationState?) -> Bool {
        if let id = options.conversationId, address.conversationId != id { return false }
        if let account = options.accountId, address.accountId != account { return false }
        if let inbox = options.inboxId, state?.inboxId != inbox { return false }
        if let since = options.since, inputTime < since { return false }
        if let until = options.until, inputTime > until { return false }
        return true
    }

}

/// Policies loaded from `policy.activated` events, by their text (``PolicyActivation/Record/key``).
public final class PolicyCache: @unchecked Sendable {
    // Used by one replay at a time (the lock makes sharing across threads safe anyway).
    private let lock = NSLock()
    private var policies: [[UInt8]: Policy] = [:]

    public init() {}

    /// The activation recorded in `event` and the policy it names.
    func activation(recordedIn event: LedgerEvent) throws -> (record: PolicyActivation.Record, policy: Policy) {
        do {
            let record = try PolicyActivation.Record(event.body)
            if let policy = lock.withLock({ policies[record.key] }) { return (record, policy) }
            let policy = try record.load()
            lock.withLock { policies[record.key] = policy }
            return (record, policy)
        } catch {
            throw ReplayError(message: "the policy recorded at seq \(event.seq) cannot be loaded: \(error)")
        }
    }
}

public struct ReplayError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}

/// One input whose decision differs between the ledger and the replay.
public struct DecisionChange: Sendable {
    public var conversation: ConversationAddress
    public var inputSeq: Seq
    /// The recorded decision's seq (nil: nothing was recorded for this input).
    public var recordedSeq: Seq?
    public var recorded: Decision?
    /// nil: the replay decides nothing for this input.
    public var replayed: Decision?
    /// The input's recorded time (µs).
    public var time: Int64
    /// With `--live`: the never-recorded read-only effects performed, and what followed them.
    public var live: [LiveStep] = []
}

/// One effect a what-if replay performed live (`--live`), and the reactor's next decision.
public struct LiveStep: Sendable {
    /// `lookup NAME` or `understand ENGINE`.
    public var effect: String
    /// nil: not performed, because it is not read-only (a POST action).
    public var result: EffectResult?
    /// What the new version decides with the result (nil: nothing).
    public var followUp: Decision?
}

/// Where a replay's time went (``Replayer/Options/timing``).
public struct ReplayTiming: Sendable {
    /// Reading the ledger: frames, checksums, inflating, the hash chain.
    public var read = Duration.zero
    /// Folding each event into the conversation's state (webhook digests, effect results).
    public var fold = Duration.zero
    /// The reactor's turns.
    public var decide = Duration.zero
    /// Comparing re-derived decisions with the recorded bytes (and policy loading, filters).
    public var compare = Duration.zero
}

/// Adds the time since its last lap to one phase of a ``ReplayTiming``; does nothing when disabled.
private struct PhaseClock {
    private(set) var timing: ReplayTiming?
    private var last = ContinuousClock.now

    init(enabled: Bool) { timing = enabled ? ReplayTiming() : nil }

    mutating func lap(_ phase: WritableKeyPath<ReplayTiming, Duration>) {
        guard timing != nil else { return }
        let now = ContinuousClock.now
        timing![keyPath: phase] += now - last
        last = now
    }
}

/// What a replay found.
public struct ReplayReport: Sendable {
    /// The what-if policy, or nil for a replay under the recorded versions.
    public var policy: String?
    public var recordedPolicies: [String] = []
    public var events = 0
    public var headSeq: Seq = 0
    /// Inputs the replay made a decision for.
    public var inputsDecided = 0
    /// Decisions compared (recorded, replayed, or both) within the filters.
    public var compared = 0
    public var identical = 0
    public var changes: [DecisionChange] = []
    /// What the replay could not re-derive exactly, in words (empty on a complete replay).
    public var warnings: [String] = []
    /// With ``Replayer/Options/timing``.
    public var timing: ReplayTiming?
    /// With ``Replayer/Options/residentConversations``: conversation states moved to the spill
    /// file, and read back from it.
    public var spilledStates: (written: Int, readBack: Int)?

    public init(policy: String?) {
        self.policy = policy
    }

    public var conversationsAffected: Int { Set(behaviourChanges.map(\.conversation)).count }

    /// Changes a customer or an agent would notice: replies, rich content, intent, fallback,
    /// hand-off, lookups, notes. Under the recorded policy every byte counts; under another
    /// policy a new version id or slightly different NLU scores alone are not a change.
    public var behaviourChanges: [DecisionChange] {
        policy == nil ? changes : changes.filter { DecisionSummary($0.recorded).behaviour != DecisionSummary($0.replayed).behaviour || ($0.recorded == nil) != ($0.replayed == nil) }
    }
}

/// The parts of a decision a person compares: what the customer would see, what the bot
/// understood, whether it hands off, what it looks up.
public struct DecisionSummary: Sendable, Equatable {
    public var replies: [String] = []
    /// Rich content types of customer-visible messages (`input_select`, `cards`, …).
    public var rich: [String] = []
    public var notes = 0
    public var intent: String?
    public var confidence: Double?
    public var fallback = false
    public var handoff: String?
    public var lookups: [String] = []
    public var rule: String?

    /// What the decision does, without scores and wording of the explanation.
    public var behaviour: [String] {
        replies + ["|rich"] + rich + ["|notes \(notes)", "|intent \(intent ?? "-")", "|fallback \(fallback)", "|handoff \(handoff ?? "-")", "|lookups"] + lookups
    }

    public init(_ decision: Decision?) {
        guard let decision else { return }
        for command in decision.commands {
            switch command {
            case .sendMessage(let message) where message.isPrivate: notes += 1
            case .sendMessage(let message):
                replies.append(message.content ?? "")
                if message.contentType != .text { rich.append(message.contentType.rawValue) }
            case .setStatus(.open): handoff = handoff ?? "handed off"
            case .lookup(let call): lookups.append(call.name)
            default: break
            }
        }
        let explanation = decision.explanation
        intent = explanation["intent"]?["name"]?.stringValue
        confidence = explanation["intent"]?["confidence"]?.doubleValue
        fallback = explanation["fallback"]?.boolValue == true
        if let reason = explanation["handoff"]?["reason"]?.stringValue { handoff = reason }
        rule = explanation["rule"]?.stringValue
    }
}
