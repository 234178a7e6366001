import Chatwoot
import Domain
import Engine
import Foundation
import Ledger
import LedgerbotTesting
import Logging
import Testing

/// `serve`'s timer service over a real file ledger and real projections.
@Suite struct TimerServiceTests {
    private let logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })

    /// A timer the previous holder already fired — after the projections' checkpoint — is not
    /// fired again by a service that starts on those stale projections (a standby taking over):
    /// it waits until they have caught up with the ledger.
    @Test func aTimerFiredAfterTheCheckpointIsNotFiredAgain() async throws {
        let temp = TemporaryDirectory()
        let directory = temp.ledgerDirectory
        let address = ConversationAddress(accountId: 1, conversationId: 128)
        let (ledger, _) = try FileLedger.open(directory: directory)
        let decision = Decision(conversation: address, commands: [.scheduleTimer(TimerRequest(name: "wait:0", dueAt: 1_000_000))])
        let seq = try await ledger.append([EventDraft(stream: "1/128", type: EventType.decision, time: 1_000, body: try decision.encoded())]).lowerBound
        // The projections fold the decision and keep their checkpoint.
        let first = try ProjectionService(ledger: ledger, directory: directory, logger: logger)
        let folding = Task { try await first.run() }
        await first.waitUntilApplied(seq)
        folding.cancel()
        _ = try? await folding.value
        // The previous holder fired the timer; these projections have not seen it.
        let fired = TimerFired(name: "wait:0", dueAt: 1_000_000, decision: seq, command: 0)
        _ = try await ledger.append([EventDraft(stream: "1/128", type: EventType.timerFired, time: 2_000, causation: seq, body: try fired.encoded())])
        let projections = try ProjectionService(ledger: ledger, directory: directory, logger: logger)
        #expect(await projections.dueTimers(at: .max).count == 1, "stale: the checkpoint is before the firing")

        let timers = TimerService(ledger: ledger, projections: projections, interval: .milliseconds(10), logger: logger)
        let firing = Task { try await timers.run() }
        try await Task.sleep(for: .milliseconds(300)) // a service that did not wait has fired by now
        let catchingUp = Task { try await projections.run() }
        await projections.waitUntilApplied(await ledger.headSeq())
        #expect(await projections.dueTimers(at: .max).isEmpty)
        try await Task.sleep(for: .milliseconds(100))
        firing.cancel()
        catchingUp.cancel()
        _ = try? await firing.value
        _ = try? await catchingUp.value
        let firings = try await ledger.read(from: 1, limit: 100).filter { $0.type == EventType.timerFired }
        await ledger.close()
        #expect(firings.count == 1, "fired again from stale projections: \(firings.map(\.seq))")
    }
}
