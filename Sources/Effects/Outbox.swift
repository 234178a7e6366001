import Chatwoot
import Domain
import Foundation
import Ledger
import Logging
import NLUAdapters
import ServiceLifecycle
import Synchronization

/// The effect runner: performs the commands of recorded decisions through Chatwoot's API and
/// records each outcome as an `effect.result` event.
///
/// - A decision is in the ledger before anything is performed; its result after.
/// - 429, 5xx, timeouts and connection errors are retried with ``RetryPolicy`` backoff; other
///   4xx are final and recorded as `failed`.
/// - Per conversation, commands run one at a time in decision order (a reply never overtakes
///   the previous one); different conversations proceed in parallel.
/// - On start, decisions without results are resumed. A customer-visible message is first
///   matched against its echo (`message_created` with our `source_id`) and only re-sent when no
///   echo arrived within ``OutboxConfiguration/echoGracePeriod``.
public final class Outbox: Service, Sendable {
    /// Whether a human owns a conversation now: the bot never speaks to the customer then.
    public protocol Ownership: Sendable {
        /// Answered once everything through `seq` is known (the outbox's start head: what a
        /// restart resumes was decided before it).
        /// `decision`: the seq of the decision whose command asks (a hand-off it asked for itself does not count).
        func humanOwns(_ conversation: ConversationAddress, knownThrough seq: Seq, decision: Seq) async -> Bool
    }

    private let ledger: any LedgerStore
    private let ownership: (any Ownership)?
    private let api: any ChatwootAPI
    private let reads: ReadEffects
    private let configuration: OutboxConfiguration
    private let metrics: OutboxMetrics
    private let logger: Logger
    private let state = OutboxState()
    /// Set once the ledger refused a result because another instance holds the lease now.
    private let leaseLost = Atomic(false)

    /// - Parameter lookups: performs the policy's lookups and actions; without it they are
    ///   recorded as failed.
    ///   - nlu: the external NLU service of the policy, if it uses one.
    ///   - ownership: asked before each attempt of a message the customer would see. A reply
    ///     decided while the bot owned the conversation is not sent once a human has taken it
    ///     over (its sending was retried past the hand-off, say, or resumed after a restart).
    public init(ledger: any LedgerStore, api: any ChatwootAPI, lookups: (any LookupPerformer)? = nil,
                nlu: (any ExternalNLU)? = nil, ownership: (any Ownership)? = nil,
                configuration: OutboxConfiguration = .init(), metrics: OutboxMetrics, logger: Logger) {
        self.ledger = ledger
        self.ownership = ownership
        self.api = api
        reads = ReadEffects(lookups: lookups, nlu: nlu, retry: configuration.retry, lookupAttempts: configuration.lookupAttempts, logger: logger)
        self.configuration = configuration
        self.metrics = metrics
        self.logger = logger
    }

    /// Runs until graceful shutdown (or cancellation). An effect cut short is resumed after restart.
    public func run() async throws {
        try await cancelWhenGracefulShutdown { try await self.runLoop() }
    }

    private func runLoop() async throws {
        let updates = ledger.subscribe()
        // Every commit, another instance's too: decisions the previous lease holder committed
        // just before this one took over are resumed as after a restart (echo-checked), not sent blind.
        let startHead = try await ledger.committedHeadSeq()
        let tail = try ledger.tail(from: 1)
        let started = ContinuousClock.now
        try await withThrowingDiscardingTaskGroup { group in
            var head = startHead
            var iterator = updates.makeAsyncIterator()
            while !Task.isCancelled {
                // Fold everything up to the head, then start idle conversations that have work.
                while tail.nextSeq <= head {
                    let events = try await tail.read(through: head, limit: 4096)
                    if events.isEmpty { break }
                    for event in events { _ = await state.apply(event, beforeRestart: event.seq <= startHead) }
                }
                metrics.depth.record(await state.depth)
                while let conversation = await state.claimConversation() {
                    group.addTask { await self.drain(conversation, restartedAt: started, startHead: startHead) }
                }
                guard let next = await iterator.next() else { break }
                head = max(head, next)
            }
        }
    }

    private func drain(_ conversation: ConversationAddress, restartedAt started: ContinuousClock.Instant, startHead: Seq) async {
        // A shutdown (cancellation) leaves the rest of the queue for the next start.
        while !Task.isCancelled, !leaseLost.load(ordering: .relaxed), let item = await state.next(for: conversation) {
            // Every message, private notes too: Chatwoot echoes them all, and a note sent twice
            // (the hand-off summary, say) is as wrong as a reply sent twice.
            if item.fromBeforeRestart, case .sendMessage = item.command {
                if await recordEchoIfSeen(item) { continue }
                try? await Task.sleep(until: started + configuration.echoGracePeriod, clock: .continuous) // cancellation ends the wait early; the check below still runs
                if await recordEchoIfSeen(item) { continue }
                logger.info("re-sending a message decided before the restart: no echo arrived", metadata: ["ledger.decision": "\(item.key.decision)"])
            }
            await perform(item, startHead: startHead)
        }
    }

    private func recordEchoIfSeen(_ item: PendingCommand) async -> Bool {
        guard let messageID = await state.echo(of: item) else { return false }
        await record(EffectResult(decision: item.key.decision, command: item.key.index, kind: item.command.kind, outcome: .recovered,
                                  messageId: messageID, attempts: 0, latencyMilliseconds: 0), for: item)
        return true
    }

    private func perform(_ item: PendingCommand, startHead: Seq) async {
        if case .lookup(let call) = item.command {
            await performLookup(call, item)
            return
        }
        if case .understand(let request) = item.command {
            await performUnderstanding(request, item)
            return
        }
        if case .scheduleTimer = item.command {
            // The timer service fires it from the projections; scheduling is the recording itself.
            await record(EffectResult(decision: item.key.decision, command: item.key.index, kind: item.command.kind, outcome: .ok,
                                      attempts: 0, latencyMilliseconds: 0), for: item)
            return
        }
        let start = ContinuousClock.now
        // A message is as old as what it answers: an input decided late (after a crash, a
        // takeover, an activation deciding past inputs) got a fresh decision time.
        let answeredAt = item.command.isCustomerVisible && configuration.maximumMessageAge != nil ? await inputTime(of: item) : nil
        var messageID: Int?
        var attempt = 0
        var mayHaveTakenEffect = false
        let result = await withRetry(configuration.retry, clock: ContinuousClock()) { () async -> AttemptOutcome<Int?> in
            attempt += 1
            // A create that timed out, lost its connection or got a gateway's 502/504 may have taken
            // effect (Chatwoot has no idempotency key): wait for its echo before creating it again.
            // First: a message the customer saw is recorded as sent, whoever owns the conversation now.
            if attempt > 1, case .sendMessage = item.command,
               let echoed = mayHaveTakenEffect ? await state.waitForEcho(of: item, timeout: configuration.ambiguousCreateWait) : await state.echo(of: item) {
                return .success(echoed)
            }
            // Shutting down (the echo wait was cut short, say): nothing more is sent; the command
            // is left unrecorded and resumed on the next start.
            if Task.isCancelled { return .final(status: nil, message: "cut short by the shutdown") }
            if item.command.isCustomerVisible, let ownership, await ownership.humanOwns(item.conversation, knownThrough: startHead, decision: item.key.decision) {
                return .final(status: nil, message: Self.humanOwnsMessage)
            }
            if item.command.isCustomerVisible, let tooOld = tooOldToSend(item, answeredAt: answeredAt) { return .final(status: nil, message: tooOld) }
            let attemptStart = ContinuousClock.now
            do {
                let id = try await call(item)
                metrics.call(item.command.kind, status: 200, seconds: (ContinuousClock.now - attemptStart).inSeconds)
                return .success(id)
            } catch let error as ChatwootAPIError {
                // Once an attempt may have taken effect, every later one first waits for its echo.
                mayHaveTakenEffect = mayHaveTakenEffect || error.mayHaveTakenEffect
                let status = error.status
                metrics.call(item.command.kind, status: status, seconds: (ContinuousClock.now - attemptStart).inSeconds)
                let message = "\(error)"
                return error.isRetryable ? .retryable(status: status, message: message, retryAfterSeconds: error.retryAfterSeconds)
                                          : .final(status: status, message: message)
            } catch {
                return .final(status: nil, message: "\(error)") // `call` throws only ChatwootAPIError; kept for the compiler
            }
        } onAttempt: { attempt, outcome in
            if case .retryable(let status, _, _) = outcome {
                logger.info("chatwoot call failed; retrying", metadata: ["effect.command": "\(item.command.kind)", "effect.attempt": "\(attempt)",
                                                                          "http.status": "\(status.map(String.init) ?? "transport")"])
            }
        }
        if let value = result.value { messageID = value }
        let succeeded = result.lastError == nil
        await record(EffectResult(decision: item.key.decision, command: item.key.index, kind: item.command.kind,
                                  outcome: succeeded ? .ok : .failed, status: succeeded ? 200 : result.lastStatus, messageId: messageID,
                                  attempts: result.attempts, latencyMilliseconds: Int((ContinuousClock.now - start).inSeconds * 1000),
                                  error: result.lastError.map { String($0.prefix(500)) }), for: item)
    }

    /// Why a message for the customer is too old to send now (asked before each attempt: retries
    /// take minutes too), or nil.
    private func tooOldToSend(_ item: PendingCommand, answeredAt: Int64?) -> String? {
        guard let limit = configuration.maximumMessageAge else { return nil }
        let since = min(item.decidedAt, answeredAt ?? item.decidedAt)
        let age = Duration.microseconds(Timestamp.micros(configuration.wallClock()) - since)
        guard age > limit else { return nil }
        let what = since < item.decidedAt ? "it answers an event of" : "it was decided"
        return "\(Self.tooOldPrefix)\(what) \(Int(age.inSeconds)) s ago, longer than the outbox's limit of \(Int(limit.inSeconds)) s (--max-message-age)"
    }

    /// The time of the event a command's decision answers, when the ledger still has it.
    private func inputTime(of item: PendingCommand) async -> Int64? {
        guard let cause = item.cause, let event = try? await ledger.read(from: cause, limit: 1).first, event.seq == cause else { return nil }
        return event.time
    }

    public static let tooOldPrefix = "not sent: too late for the customer: "

    public static let humanOwnsMessage = "not sent: a human owns the conversation now (it was handed off, or an agent replied), and the bot does not speak to the customer then"

    /// A lookup or action. Reads are retried with the one backoff schedule; an action is retried
    /// only when it carries an idempotency key (the backend recognises the resend).
    private func performLookup(_ call: LookupCall, _ item: PendingCommand) async {
        let result = await reads.lookup(call, decision: item.key.decision, index: item.key.index)
        metrics.call(item.command.kind, status: result.status ?? (result.outcome == .ok ? 200 : nil), seconds: Double(result.latencyMilliseconds) / 1000)
        await record(result, for: item)
    }

    /// Asks the external NLU service (see ``ReadEffects/understand(_:decision:index:)``).
    private func performUnderstanding(_ request: UnderstandRequest, _ item: PendingCommand) async {
        let result = await reads.understand(request, decision: item.key.decision, index: item.key.index)
        metrics.call(item.command.kind, status: result.status ?? (result.outcome == .ok ? 200 : nil), seconds: Double(result.latencyMilliseconds) / 1000)
        await record(result, for: item)
    }

    /// One attempt of `item`'s Chatwoot call; returns the created message id for messages.
    private func call(_ item: PendingCommand) async throws(ChatwootAPIError) -> Int? {
        let conversation = item.conversation
        switch item.command {
        case .sendMessage(var message):
            let source = EffectSourceID.make(decision: item.key.decision, command: item.key.index)
            message.sourceId = source
            message.echoId = source
            return try await api.createMessage(message, in: conversation).id
        case .setStatus(let change):
            _ = try await api.toggleStatus(change, in: conversation)
        case .setPriority(let priority):
            try await api.togglePriority(priority, in: conversation)
        case .setCustomAttributes(let attributes):
            _ = try await api.updateCustomAttributes(attributes, in: conversation)
        case .assign(let assignee):
            _ = try await api.assign(assignee, in: conversation)
        case .typing(let on):
            try await api.toggleTyping(on: on, isPrivate: false, in: conversation)
        case .lookup, .scheduleTimer, .understand:
            break // performed by performLookup; recorded by perform
        }
        return nil
    }

    /// Appends the result. If the ledger cannot take it, the command stays unrecorded and is
    /// resumed (echo-checked) after the next restart.
    private func record(_ result: EffectResult, for item: PendingCommand) async {
        if result.outcome == .failed, Task.isCancelled {
            // Cut short by a shutdown (a cancelled call, a retry's wait ended): not a failure of
            // the command. Left unrecorded, it is resumed (echo-checked) on the next start.
            logger.info("effect cut short by the shutdown; it is resumed on the next start",
                        metadata: ["effect.command": "\(item.command.kind)", "ledger.decision": "\(item.key.decision)"])
            return
        }
        await state.markDone(item.key)
        metrics.result(result.outcome.rawValue)
        do {
            let body = try result.encoded()
            _ = try await ledger.append([EventDraft(stream: "\(item.conversation.accountId)/\(item.conversation.conversationId)",
                                                    type: EventType.effectResult, time: Timestamp.micros(Date()), causation: item.key.decision, body: body)])
        } catch let error as LedgerError where error.kind == .fenced {
            // Another instance decides now: perform nothing more, not even this decision's next command.
            leaseLost.store(true, ordering: .relaxed)
            logger.warning("effect result not recorded: another instance holds the lease now and resumes the command",
                           metadata: ["error": "\(error)", "ledger.decision": "\(item.key.decision)"])
        } catch {
            logger.error("effect result not recorded; it will be resumed after a restart", metadata: ["error": "\(error)", "ledger.decision": "\(item.key.decision)"])
        }
    }

}
