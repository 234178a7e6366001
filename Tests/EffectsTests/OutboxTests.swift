import Chatwoot
import CoreMetrics
import Domain
import Effects
import Foundation
import Ledger
import LedgerbotTesting
import Logging
import Metrics
import Synchronization
import Testing

/// The outbox over a real FileLedger, performing through the in-memory Chatwoot API
/// (HTTP behaviour of the API client is covered in ChatwootTests; end to end over HTTP in ServerTests).
@Suite struct OutboxTests {
    static let conversationA = ConversationAddress(accountId: 1, conversationId: 128)
    static let conversationB = ConversationAddress(accountId: 1, conversationId: 129)

    private func fastConfiguration() -> OutboxConfiguration {
        var configuration = OutboxConfiguration()
        configuration.retry.baseDelay = .milliseconds(5)
        configuration.retry.maximumDelay = .milliseconds(20)
        configuration.retry.maximumAttempts = 4
        configuration.echoGracePeriod = .milliseconds(50)
        return configuration
    }

    private func decision(_ conversation: ConversationAddress, _ commands: [Command], at time: Date = Date(), causation: Seq? = nil) throws -> EventDraft {
        EventDraft(stream: "\(conversation.accountId)/\(conversation.conversationId)", type: EventType.decision,
                   time: Timestamp.micros(time), causation: causation, body: try Decision(conversation: conversation, commands: commands).encoded())
    }

    /// Runs the outbox until `count` effect results are in the ledger, then stops it.
    private func runOutbox(_ ledger: FileLedger, _ directory: LedgerDirectory, api: any ChatwootAPI, ownership: (any Outbox.Ownership)? = nil,
                           configuration: OutboxConfiguration, until count: Int) async throws -> [EffectResult] {
        let outbox = Outbox(ledger: ledger, api: api, ownership: ownership, configuration: configuration,
                            metrics: OutboxMetrics(factory: NOOPMetricsHandler.instance), logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
        return try await withThrowingTaskGroup(of: [EffectResult]?.self) { group in
            group.addTask { try await outbox.run(); return nil }
            group.addTask {
                for await head in ledger.subscribe() {
                    let results = try await ledger.read(from: 1, limit: Int(head)).filter { $0.type == EventType.effectResult }
                    if results.count >= count { return try results.map { try EffectResult.decode($0.body) } }
                }
                return nil
            }
            let results = try await group.next()!!
            group.cancelAll()
            return results
        }
    }

    @Test func commandsArePerformedInOrderAndEachResultIsRecorded() async throws {
        let temp = TemporaryDirectory()
        let directory = LedgerDirectory(dataPath: temp.path + "/data")
        let (ledger, _) = try FileLedger.open(directory: directory)
        let api = InMemoryChatwootAPI(configuration: .init(firstMessageId: 500))
        let seq = try await ledger.append([decision(Self.conversationA, [
            .sendMessage(.text("Hello! How can I help?")),
            .sendMessage(.privateNote("Context for the agent")),
            .setStatus(.open),
        ])]).lowerBound
        let results = try await runOutbox(ledger, directory, api: api, configuration: fastConfiguration(), until: 3)
        await ledger.close()
        #expect(results.map(\.command) == [0, 1, 2])
        #expect(results.allSatisfy { $0.decision == seq && $0.outcome == .ok && $0.attempts == 1 })
        #expect(results.map(\.messageId) == [500, 501, nil])
        let calls = await api.calls
        guard case .createMessage(let first, _) = calls[0], case .createMessage(let note, _) = calls[1], case .toggleStatus(.open, _) = calls[2] else {
            Issue.record("unexpected calls \(calls)")
            return
        }
        #expect(first.sourceId == "ledgerbot:\(seq):0")
        #expect(note.isPrivate)
        let events = try await ledger.read(from: 1, limit: 10)
        #expect(events.filter { $0.type == EventType.effectResult }.allSatisfy { $0.causation == seq })
    }

    @Test func transientErrorsAreRetriedAndClientErrorsAreFinal() async throws {
        let temp = TemporaryDirectory()
        let directory = LedgerDirectory(dataPath: temp.path + "/data")
        let (ledger, _) = try FileLedger.open(directory: directory)
        let api = InMemoryChatwootAPI()
        await api.failNext(with: ChatwootAPIError(kind: .rateLimited, status: 429, endpoint: "POST messages", bodyExcerpt: "Retry later"))
        await api.failNext(with: ChatwootAPIError(kind: .server, status: 500, endpoint: "POST messages"))
        _ = try await ledger.append([decision(Self.conversationA, [.sendMessage(.text("one"))])])
        _ = try await runOutbox(ledger, directory, api: api, configuration: fastConfiguration(), until: 1)
        await api.failNext(with: ChatwootAPIError(kind: .unprocessable, status: 422, endpoint: "POST messages", bodyExcerpt: "Validation failed"))
        _ = try await ledger.append([decision(Self.conversationA, [.sendMessage(.text("two"))])])
        let results = try await runOutbox(ledger, directory, api: api, configuration: fastConfiguration(), until: 2)
        await ledger.close()
        #expect(results[0].outcome == .ok && results[0].attempts == 3)
        #expect(results[1].outcome == .failed && results[1].attempts == 1 && results[1].status == 422)
        #expect(results[1].error?.contains("Validation failed") == true)
    }

    /// An outbox that starts (or gets through) long after a decision does not greet the customer
    /// an hour late; the agent's note and the hand-off still go. The age is checked before each
    /// attempt, so retries that outlast the limit stop too.
    @Test func aMessageForTheCustomerOlderThanTheLimitIsNotSent() async throws {
        let temp = TemporaryDirectory()
        let directory = LedgerDirectory(dataPath: temp.path + "/data")
        let (ledger, _) = try FileLedger.open(directory: directory)
        let api = InMemoryChatwootAPI()
        let decidedAt = Date(timeIntervalSince1970: 1_778_663_742)
        // The times the wall clock reads, one per reading; the last one stays.
        let readings = Mutex([decidedAt.addingTimeInterval(2 * 3600)])
        var configuration = fastConfiguration()
        configuration.wallClock = { readings.withLock { $0.count > 1 ? $0.removeFirst() : $0[0] } }
        _ = try await ledger.append([decision(Self.conversationA, [
            .sendMessage(.text("Hi! How can I help?")), .sendMessage(.privateNote("Context for the agent")), .setStatus(.open),
        ], at: decidedAt)])
        var results = try await runOutbox(ledger, directory, api: api, configuration: configuration, until: 3)
        #expect(results.map(\.outcome) == [.failed, .ok, .ok])
        #expect(results[0].attempts == 1 && results[0].error?.hasPrefix(Outbox.tooOldPrefix) == true, "\(results[0])")
        #expect(results[0].error?.contains("7200 s ago") == true, "\(results[0].error ?? "")")
        var calls = await api.calls
        #expect(calls.count == 2)
        if case .createMessage(let note, _) = calls.first { #expect(note.isPrivate) } else { Issue.record("\(calls)") }

        // A message first tried within the limit, retried past it: the retry stops.
        await api.failNext(with: ChatwootAPIError(kind: .server, status: 503, endpoint: "POST messages"))
        readings.withLock { $0 = [decidedAt.addingTimeInterval(3599.99), decidedAt.addingTimeInterval(3601)] }
        _ = try await ledger.append([decision(Self.conversationB, [.sendMessage(.text("late reply"))], at: decidedAt)])
        results = try await runOutbox(ledger, directory, api: api, configuration: configuration, until: 4)
        #expect(results[3].outcome == .failed && results[3].attempts == 2, "\(results[3])")
        calls = await api.calls
        #expect(calls.count == 3, "the first attempt only: \(calls)")

        // No limit: sent however old.
        configuration.maximumMessageAge = nil
        _ = try await ledger.append([decision(Self.conversationA, [.sendMessage(.text("sent anyway"))], at: decidedAt)])
        results = try await runOutbox(ledger, directory, api: api, configuration: configuration, until: 5)
        await ledger.close()
        #expect(results[4].outcome == .ok)
    }

    /// An input decided late (after a crash, a takeover) gets a fresh decision time: the age is
    /// the input's.
    @Test func aMessageAnsweringAnOldInputIsNotSentHoweverRecentItsDecision() async throws {
        let temp = TemporaryDirectory()
        let directory = LedgerDirectory(dataPath: temp.path + "/data")
        let (ledger, _) = try FileLedger.open(directory: directory)
        let api = InMemoryChatwootAPI()
        let twoHoursAgo = Timestamp.micros(Date().addingTimeInterval(-2 * 3600))
        let input = try await ledger.append([EventDraft(stream: "1/128", type: EventType.webhookReceived, time: twoHoursAgo,
                                                        body: Array("{\"event\":\"message_created\"}".utf8))]).lowerBound
        let recent = try await ledger.append([EventDraft(stream: "1/129", type: EventType.webhookReceived, time: Timestamp.micros(Date()),
                                                         body: Array("{\"event\":\"message_created\"}".utf8))]).lowerBound
        _ = try await ledger.append([decision(Self.conversationA, [.sendMessage(.text("Hi! How can I help?"))], causation: input)])
        _ = try await ledger.append([decision(Self.conversationB, [.sendMessage(.text("Hi! How can I help?"))], causation: recent)])
        let results = try await runOutbox(ledger, directory, api: api, configuration: fastConfiguration(), until: 2)
        await ledger.close()
        let old = try #require(results.first { $0.decision == input + 2 })
        #expect(old.outcome == .failed && old.error?.contains("it answers an event of 72") == true, "\(old)")
        #expect(results.first { $0.decision == input + 3 }?.outcome == .ok)
        #expect(await api.calls.count == 1)
    }

    @Test func retriesRunOutAfterTheConfiguredAttempts() async throws {
        let temp = TemporaryDirectory()
        let directory = LedgerDirectory(dataPath: temp.path + "/data")
        let (ledger, _) = try FileLedger.open(directory: directory)
        let api = InMemoryChatwootAPI()
        for _ in 0..<4 { await api.failNext(with: ChatwootAPIError(kind: .timeout, endpoint: "POST toggle_status")) }
        _ = try await ledger.append([decision(Self.conversationA, [.setStatus(.open)])])
        let results = try await runOutbox(ledger, directory, api: api, configuration: fastConfiguration(), until: 1)
        await ledger.close()
        #expect(results[0].outcome == .failed && results[0].attempts == 4 && results[0].status == nil)
    }

    /// A shutdown while a command waits to be retried is not that command failing: nothing is
    /// recorded for it or for the commands queued behind it, and the next start performs them.
    @Test func aShutdownDuringRetriesRecordsNoFailureAndTheNextStartPerforms() async throws {
        let temp = TemporaryDirectory()
        let directory = LedgerDirectory(dataPath: temp.path + "/data")
        let (ledger, _) = try FileLedger.open(directory: directory)
        let api = InMemoryChatwootAPI()
        await api.failNext(with: ChatwootAPIError(kind: .server, status: 503, endpoint: "POST toggle_status"))
        _ = try await ledger.append([decision(Self.conversationA, [.setStatus(.open), .setPriority(.high)])])
        var slow = fastConfiguration()
        slow.retry.baseDelay = .seconds(60) // the first retry waits long past the shutdown
        slow.retry.maximumDelay = .seconds(60)
        let outbox = Outbox(ledger: ledger, api: api, configuration: slow, metrics: OutboxMetrics(factory: NOOPMetricsHandler.instance),
                            logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
        let running = Task { try await outbox.run() }
        let deadline = ContinuousClock.now + .seconds(10)
        while await api.calls.isEmpty, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(5)) }
        try await Task.sleep(for: .milliseconds(50)) // into the retry's wait
        running.cancel()
        _ = try? await running.value
        #expect(await api.calls.count == 1)
        #expect(try await ledger.read(from: 1, limit: 10).filter { $0.type == EventType.effectResult }.isEmpty)

        let results = try await runOutbox(ledger, directory, api: api, configuration: fastConfiguration(), until: 2)
        await ledger.close()
        #expect(results.map(\.command) == [0, 1])
        #expect(results.allSatisfy { $0.outcome == .ok && $0.attempts == 1 })
    }

    /// Who owns each conversation, as the projections would say.
    private actor Owners: Outbox.Ownership {
        private var humans: Set<ConversationAddress> = []
        func handOff(_ conversation: ConversationAddress) { humans.insert(conversation) }
        func humanOwns(_ conversation: ConversationAddress, knownThrough seq: Seq, decision: Seq) -> Bool { humans.contains(conversation) }
    }

    /// The bot never speaks to the customer while a human owns the conversation: a reply decided
    /// before the hand-off is not sent after it — neither on its first attempt nor on a retry
    /// once the hand-off came in meanwhile. What the agent needs (a note, the status) still goes.
    @Test func aReplyIsNotSentOnceAHumanOwnsTheConversation() async throws {
        let temp = TemporaryDirectory()
        let directory = LedgerDirectory(dataPath: temp.path + "/data")
        let (ledger, _) = try FileLedger.open(directory: directory)
        let api = InMemoryChatwootAPI()
        let owners = Owners()
        var configuration = fastConfiguration()
        configuration.retry.baseDelay = .milliseconds(300)
        configuration.retry.maximumDelay = .milliseconds(300)

        // B: its reply fails once, and the agent takes B while the reply waits for its retry.
        await api.failNext(with: ChatwootAPIError(kind: .server, status: 503, endpoint: "POST messages"))
        _ = try await ledger.append([decision(Self.conversationB, [.sendMessage(.text("B: retried past the hand-off"))])])
        let handOffB = Task {
            while await api.calls.isEmpty { try await Task.sleep(for: .milliseconds(5)) }
            await owners.handOff(Self.conversationB)
        }
        let first = try await runOutbox(ledger, directory, api: api, ownership: owners, configuration: configuration, until: 1)
        _ = try await handOffB.value
        #expect(first[0].outcome == .failed && first[0].attempts == 2 && first[0].error == Outbox.humanOwnsMessage)

        // A: handed off before its reply was sent; the note and the status still go.
        await owners.handOff(Self.conversationA)
        let seqA = try await ledger.append([decision(Self.conversationA, [.sendMessage(.text("A: too late")), .sendMessage(.privateNote("A: for the agent")), .setStatus(.open)])]).lowerBound
        let all = try await runOutbox(ledger, directory, api: api, ownership: owners, configuration: configuration, until: 4)
        await ledger.close()
        let a = all.filter { $0.decision == seqA }.sorted { $0.command < $1.command }
        #expect(a.map(\.outcome) == [.failed, .ok, .ok])
        #expect(a.first?.error == Outbox.humanOwnsMessage && a.first?.attempts == 1)
        let sent = await api.calls.compactMap { call -> String? in
            if case .createMessage(let message, _) = call { return message.content }
            return nil
        }
        #expect(sent == ["B: retried past the hand-off", "A: for the agent"], "B's one failed attempt, then A's note: \(sent)")
    }

    @Test func aConversationsRepliesKeepTheirOrderWhileOthersProceed() async throws {
        let temp = TemporaryDirectory()
        let directory = LedgerDirectory(dataPath: temp.path + "/data")
        let (ledger, _) = try FileLedger.open(directory: directory)
        let api = InMemoryChatwootAPI()
        // A's first reply hits two 500s; A's later replies must wait for it, B's must not.
        await api.failNext(with: ChatwootAPIError(kind: .server, status: 500, endpoint: "x"))
        await api.failNext(with: ChatwootAPIError(kind: .server, status: 500, endpoint: "x"))
        _ = try await ledger.append([try decision(Self.conversationA, [.sendMessage(.text("A1"))])])
        _ = try await ledger.append([try decision(Self.conversationA, [.sendMessage(.text("A2"))])])
        _ = try await ledger.append([try decision(Self.conversationB, [.sendMessage(.text("B1"))])])
        _ = try await ledger.append([try decision(Self.conversationA, [.sendMessage(.text("A3"))])])
        _ = try await runOutbox(ledger, directory, api: api, configuration: fastConfiguration(), until: 4)
        await ledger.close()
        let sent = await api.calls.compactMap { call -> String? in
            if case .createMessage(let message, _) = call { return message.content }
            return nil
        }
        let aOrder = sent.filter { $0.hasPrefix("A") }
        #expect(aOrder.suffix(3) == ["A1", "A2", "A3"], "A's replies never overtake each other: \(sent)")
        #expect(sent.contains("B1"))
    }

    @Test func afterARestartAnEchoedMessageIsRecoveredAndOnlyTheRestIsSent() async throws {
        let temp = TemporaryDirectory()
        let directory = LedgerDirectory(dataPath: temp.path + "/data")
        let (ledger, _) = try FileLedger.open(directory: directory)
        // Before the "crash": a decision with two replies and a private note; the first reply and
        // the note were sent (their echoes arrived), no results recorded.
        let seq = try await ledger.append([decision(Self.conversationA, [
            .sendMessage(.text("sent before the crash")), .sendMessage(.text("never sent")), .sendMessage(.privateNote("summary for the agent")),
        ])]).lowerBound
        func echo(_ command: Int, id: Int, type: String = "outgoing", sender: String = "agent_bot", conversation: Int = 128) -> EventDraft {
            let body = #"{"event":"message_created","id":\#(id),"message_type":"\#(type)","sender":{"id":5,"type":"\#(sender)"},"#
                + #""source_id":"ledgerbot:\#(seq):\#(command)","content":"…","account":{"id":1},"conversation":{"id":\#(conversation)}}"#
            return EventDraft(stream: "1/\(conversation)", type: EventType.webhookReceived, time: 0, body: Array(body.utf8))
        }
        _ = try await ledger.append([
            echo(0, id: 777),
            echo(0, id: 804, conversation: 129), // the same source_id in another conversation does not hide the real echo
            echo(2, id: 778),
            // Not echoes of command 1, though they carry its source_id: a customer's message, an
            // agent's, and the bot's message in another conversation.
            echo(1, id: 801, type: "incoming", sender: "contact"),
            echo(1, id: 802, sender: "user"),
            echo(1, id: 803, conversation: 129),
        ])
        let api = InMemoryChatwootAPI(configuration: .init(firstMessageId: 900))
        let results = try await runOutbox(ledger, directory, api: api, configuration: fastConfiguration(), until: 3).sorted { $0.command < $1.command }
        await ledger.close()
        #expect(results[0].outcome == .recovered && results[0].messageId == 777)
        #expect(results[1].outcome == .ok && results[1].messageId == 900)
        #expect(results[2].outcome == .recovered && results[2].messageId == 778, "a private note is not sent twice either")
        let calls = await api.calls
        #expect(calls.count == 1, "only the message without an echo is sent: \(calls)")
    }

    @Test func decisionsWithResultsAreNotPerformedAgain() async throws {
        let temp = TemporaryDirectory()
        let directory = LedgerDirectory(dataPath: temp.path + "/data")
        let (ledger, _) = try FileLedger.open(directory: directory)
        let api = InMemoryChatwootAPI()
        _ = try await ledger.append([decision(Self.conversationA, [.setPriority(.urgent)])])
        _ = try await runOutbox(ledger, directory, api: api, configuration: fastConfiguration(), until: 1)
        // A second run over the same ledger (a restart) must not repeat it; a new decision is performed.
        _ = try await ledger.append([decision(Self.conversationB, [.typing(on: true)])])
        _ = try await runOutbox(ledger, directory, api: api, configuration: fastConfiguration(), until: 2)
        await ledger.close()
        let calls = await api.calls
        #expect(calls.count == 2)
    }

    @Test func theBackoffScheduleGrowsGeometricallyWithBoundedJitter() {
        let policy = RetryPolicy()
        let delays = (1...10).map { policy.delay(afterAttempt: $0, random: 0) }
        #expect(delays[0] == .milliseconds(250) && delays[1] == .milliseconds(500) && delays[4] == .seconds(4))
        #expect(delays[8] == .seconds(30), "capped")
        #expect(policy.delay(afterAttempt: 3, random: 1) == .milliseconds(1030))
        #expect(policy.delay(afterAttempt: 3, random: -1) == .milliseconds(970))
    }

    /// A server's `Retry-After` is waited (at least), up to the schedule's cap: a hint of a day
    /// must not wedge a conversation's queue.
    @Test func aServersRetryAfterIsWaitedUpToTheMaximumDelay() async {
        var policy = RetryPolicy()
        #expect(policy.delay(afterAttempt: 1, serverAsked: .seconds(7), random: -1) == .seconds(7), "at least what was asked, jitter or not")
        policy.jitter = 0
        let clock = RecordingClock()
        var outcomes: [AttemptOutcome<Int>] = [
            .retryable(status: 429, message: "slow down", after: .seconds(7)),
            .retryable(status: 429, message: "come back tomorrow", after: .seconds(86_400)),
            .retryable(status: 503, message: "no hint"),
            .success(1),
        ]
        let result = await withRetry(policy, clock: clock) { outcomes.removeFirst() }
        #expect(result.value == 1 && result.attempts == 4)
        #expect(clock.slept == [.seconds(7), .seconds(30), .seconds(1)])
    }
}

/// A clock that does not wait: it records each sleep.
final class RecordingClock: Clock, Sendable {
    struct Instant: InstantProtocol {
        var offset: Duration
        func advanced(by duration: Duration) -> Instant { Instant(offset: offset + duration) }
        func duration(to other: Instant) -> Duration { other.offset - offset }
        static func < (a: Instant, b: Instant) -> Bool { a.offset < b.offset }
    }

    private let sleeps = Mutex<[Duration]>([])
    var slept: [Duration] { sleeps.withLock { $0 } }
    var now: Instant { Instant(offset: .zero) }
    var minimumResolution: Duration { .nanoseconds(1) }
    func sleep(until deadline: Instant, tolerance: Duration?) async throws { sleeps.withLock { $0.append(deadline.offset) } }
}
