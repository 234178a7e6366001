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
}

/// What the outbox knows, folded from the ledger: decisions without results (queued per
/// conversation, in decision order), results, and echoes of messages it created.
actor OutboxState {
    private var queues: [ConversationAddress: [PendingCommand]] = [:]
    private var busy: Set<ConversationAddress> = []
    private var done: Set<CommandKey> = []
    private var echoes: [CommandKey: Int] = [:]
    private var echoWaiters: [CommandKey: [CheckedContinuation<Int?, Never>]] = [:]
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
                    PendingCommand(key: key, conversation: decision.conversation, command: command, fromBeforeRestart: beforeRestart))
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
            if let (key, messageID) = Self.echo(in: event.body) {
                echoes[key] = messageID
                for waiter in echoWaiters.removeValue(forKey: key) ?? [] { waiter.resume(returning: messageID) }
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

    func echo(of key: CommandKey) -> Int? { echoes[key] }

    /// The echo's message id once it arrives, or nil after `timeout`.
    func waitForEcho(of key: CommandKey, timeout: Duration) async -> Int? {
        if let id = echoes[key] { return id }
        return await withTaskGroup(of: Int?.self) { group in
            group.addTask { await self.registerEchoWaiter(key) }
            group.addTask {
                try? await Task.sleep(for: timeout) // a deadline; the echo normally wins
                await self.expireEchoWaiters(key)
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
    }

    private func registerEchoWaiter(_ key: CommandKey) async -> Int? {
        if let id = echoes[key] { return id }
        return await withCheckedContinuation { echoWaiters[key, default: []].append($0) }
    }

    private func expireEchoWaiters(_ key: CommandKey) {
        for waiter in echoWaiters.removeValue(forKey: key) ?? [] { waiter.resume(returning: nil) }
    }

    /// A `message_created` webhook for a message we created: (our command, Chatwoot's message id).
    static func echo(in body: [UInt8]) -> (CommandKey, Int)? {
        body.withUnsafeBytes { bytes -> (CommandKey, Int)? in
            guard let members = try? JSONScanner.members(of: bytes) else { return nil }
            func value(_ key: String) -> Range<Int>? { members.first { $0.key == key }?.value }
            guard let event = value("event").flatMap({ try? JSONScanner.string(in: bytes, at: $0) }), event == "message_created",
                  let source = value("source_id").flatMap({ try? JSONScanner.string(in: bytes, at: $0) }),
                  let parsed = EffectSourceID.parse(source),
                  let id = value("id").flatMap({ JSONScanner.integer(in: bytes, at: $0) }) else { return nil }
            return (CommandKey(decision: parsed.decision, index: parsed.command), Int(id))
        }
    }
}
