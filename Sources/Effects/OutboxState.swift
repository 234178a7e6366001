import Chatwoot
import Domain
import JSONScan
import Ledger

/// Identifies one command of one decision.
struct CommandKey: Hashable, Sendable {
    var decision: Seq
    var index: Int
}

/// A command waiting to be performed.
struct PendingCommand: Sendable {
    var key: CommandKey
    var conversation: ConversationAddress
    var command: Command
    /// Decided before this process started: a customer-visible one may already have been sent.
    var fromBeforeRestart: Bool
    /// When it was decided: the decision event's time, in Unix microseconds.
    var decidedAt: Int64
    /// The event the decision answers (its causation).
    var cause: Seq?
}

/// What the outbox knows, folded from the ledger: decisions without results (queued per
/// conversation, in decision order), results, and echoes of messages it created.
actor OutboxState {
    private var queues: [ConversationAddress: [PendingCommand]] = [:]
    private var busy: Set<ConversationAddress> = []
    private var done: Set<CommandKey> = []
    /// The echoes of each command: Chatwoot's message id and the conversation it came in. A
    /// list, because a `source_id` names no conversation: one arriving in another conversation
    /// must not hide the real one.
    private var echoes: [CommandKey: [Echo]] = [:]
    private var echoWaiters: [CommandKey: [(id: Int, conversation: ConversationAddress, continuation: CheckedContinuation<Int?, Never>)]] = [:]
    private var nextWaiterID = 0
    private(set) var depth = 0

    /// Folds one ledger event. Returns the conversations that have new work.
    func apply(_ event: LedgerEvent, beforeRestart: Bool) -> ConversationAddress? {
        switch event.type {
        case EventType.decision:
            guard let decision = try? Decision.decode(event.body) else { return nil }
            var added = false
            for (index, command) in decision.commands.enumerated() {
                let key = CommandKey(decision: event.seq, index: index)
                guard !done.contains(key) else { continue }
                queues[decision.conversation, default: []].append(
                    PendingCommand(key: key, conversation: decision.conversation, command: command, fromBeforeRestart: beforeRestart,
                               decidedAt: event.time, cause: event.causation))
                depth += 1
                added = true
            }
            return added ? decision.conversation : nil
        case EventType.effectResult:
            if let result = try? EffectResult.decode(event.body) {
                done.insert(CommandKey(decision: result.decision, index: result.command))
            }
            return nil
        case EventType.webhookReceived:
            if let (key, echo) = Self.echo(in: event.body) {
                echoes[key, default: []].append(echo)
                // Only the waiters of the echo's own conversation are answered.
                if let waiters = echoWaiters[key] {
                    let (answered, waiting) = (waiters.filter { $0.conversation == echo.conversation }, waiters.filter { $0.conversation != echo.conversation })
                    echoWaiters[key] = waiting.isEmpty ? nil : waiting
                    for waiter in answered { waiter.continuation.resume(returning: echo.messageID) }
                }
            }
            return nil
        default:
            return nil
        }
    }

    /// The next command of an idle conversation with work, marking it busy.
    func claimConversation() -> ConversationAddress? {
        guard let conversation = queues.first(where: { !$0.value.isEmpty && !busy.contains($0.key) })?.key else { return nil }
        busy.insert(conversation)
        return conversation
    }

    /// The next command of `conversation`, or nil (and the conversation is released).
    func next(for conversation: ConversationAddress) -> PendingCommand? {
        while var queue = queues[conversation], !queue.isEmpty {
            let item = queue.removeFirst()
            queues[conversation] = queue.isEmpty ? nil : queue
            depth -= 1
            if done.contains(item.key) { continue } // recorded meanwhile (e.g. by a recovery)
            return item
        }
        busy.remove(conversation)
        return nil
    }

    func markDone(_ key: CommandKey) { done.insert(key) }

    /// The message id of the command's echo, if it came in the command's own conversation.
    func echo(of item: PendingCommand) -> Int? {
        echoes[item.key]?.first { $0.conversation == item.conversation }?.messageID
    }

    /// The echo's message id once it arrives, or nil after `timeout` (or when the caller is cancelled).
    func waitForEcho(of item: PendingCommand, timeout: Duration) async -> Int? {
        if let id = echo(of: item) { return id }
        nextWaiterID += 1
        let id = nextWaiterID, key = item.key
        // The waiter is registered before the deadline can fire: the continuation is added on
        // this actor before anything else runs on it.
        let deadline = Task {
            try? await Task.sleep(for: timeout) // a deadline; the echo normally wins
            await self.expireEchoWaiter(key, id: id)
        }
        defer { deadline.cancel() }
        let messageID = await withTaskCancellationHandler {
            await withCheckedContinuation { echoWaiters[key, default: []].append((id, item.conversation, $0)) }
        } onCancel: {
            deadline.cancel() // ends the sleep at once: the waiter is expired, not left behind
        }
        return messageID
    }

    private func expireEchoWaiter(_ key: CommandKey, id: Int) {
        guard var waiters = echoWaiters[key], let index = waiters.firstIndex(where: { $0.id == id }) else { return }
        let waiter = waiters.remove(at: index)
        echoWaiters[key] = waiters.isEmpty ? nil : waiters
        waiter.continuation.resume(returning: nil)
    }

    /// An echo: Chatwoot's id of the message and the conversation it was created in.
    struct Echo: Sendable {
        var messageID: Int
        var conversation: ConversationAddress
    }

    /// A `message_created` webhook for a message we created: (our command, its echo). Only the
    /// bot's own outgoing message counts: `source_id` alone is not proof, since on some channels
    /// (email) it carries what the customer's side chose.
    static func echo(in body: [UInt8]) -> (CommandKey, Echo)? {
        body.withUnsafeBytes { bytes -> (CommandKey, Echo)? in
            guard let root = JSONObjectView(bytes), root.string("event") == "message_created",
                  root.string("message_type") == "outgoing", root.object("sender")?.string("type") == "agent_bot",
                  let parsed = root.string("source_id").flatMap(EffectSourceID.parse),
                  let id = root.int("id"), let account = root.object("account")?.int("id"),
                  let conversation = root.object("conversation")?.int("id") else { return nil }
            return (CommandKey(decision: parsed.decision, index: parsed.command),
                    Echo(messageID: id, conversation: ConversationAddress(accountId: account, conversationId: conversation)))
        }
    }
}
