import Chatwoot
import Domain
import Foundation
import Ledger
import Logging
import Projections
import ServiceLifecycle

/// Fires the timers decisions scheduled: when one is due (by the wall clock, here and only here),
/// appends a `timer.fired` event, which the reactor then sees as an input. Because the firing is
/// recorded, replay sees the same timers at the same points without reading any clock.
///
/// Pending timers live in the projections (folded from decisions, removed when fired), so a
/// restart resumes them; a timer that came due while the bot was down fires on start.
public actor TimerService: Service {
    private let ledger: any LedgerStore
    private let projections: ProjectionService
    private let logger: Logger
    private let interval: Duration
    /// Appended, not yet folded: not fired twice meanwhile.
    private var inFlight = Set<String>()

    public init(ledger: any LedgerStore, projections: ProjectionService, interval: Duration = .milliseconds(500), logger: Logger) {
        self.ledger = ledger
        self.projections = projections
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        try await cancelWhenGracefulShutdown {
            // The projections start from their checkpoint, which may be far behind the ledger (a
            // PostgreSQL standby taking over, a restart after a long outage): the timers fired
            // since would still look pending and fire again. Fire only once they have caught up.
            await self.projections.waitUntilApplied(try await self.ledger.committedHeadSeq())
            while !Task.isCancelled {
                try await self.fireDue()
                // Timers are minutes long: half a second of lateness is fine. Cancellation (shutdown) ends the wait.
                try? await Task.sleep(for: self.interval)
            }
        }
    }

    private func fireDue() async throws {
        let now = Timestamp.micros(Date())
        let due = await projections.dueTimers(at: now)
        let pending = Set(due.map { "\($0.1.decision):\($0.1.command)" })
        inFlight.formIntersection(pending)
        var drafts: [EventDraft] = []
        for (address, timer) in due where inFlight.insert("\(timer.decision):\(timer.command)").inserted {
            let fired = TimerFired(name: timer.name, dueAt: timer.dueAt, decision: timer.decision, command: timer.command)
            drafts.append(EventDraft(stream: StreamName.conversation(account: Int64(address.accountId), conversation: Int64(address.conversationId)),
                                     type: EventType.timerFired, time: now, causation: timer.decision, body: try fired.encoded()))
        }
        guard !drafts.isEmpty else { return }
        _ = try await ledger.append(drafts)
        logger.debug("timers fired", metadata: ["timers": "\(drafts.count)"])
    }
}
