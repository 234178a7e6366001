import Chatwoot
import Domain
import Engine
import Foundation
import Ledger
import LedgerbotTesting
import Logging
import Policy
import Projections
import Server
import Testing

/// `serve`'s projection service: webhooks in over HTTP, conversation state out, kept across a restart.
@Suite struct ProjectionServiceTests {
    @Test func webhooksUpdateTheConversationStateLiveAndAfterARestart() async throws {
        let temp = TemporaryDirectory()
        let directory = temp.ledgerDirectory
        let address = ConversationAddress(accountId: 1, conversationId: 128)
        let logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
        let service = LockedBox<ProjectionService?>(nil)
        let incoming = try chatwootFixture("webhook-message_created-incoming.json")
        let opened = try chatwootFixture("webhook-conversation_status_changed.json")
        let states = try await ServerHarness.with(directory: directory, extraServices: { ledger in
            let projections = try! ProjectionService(ledger: ledger, directory: directory, logger: logger)
            service.value = projections
            return [projections]
        }) { server in
            let projections = try #require(service.value)
            _ = try await server.post(incoming, headers: ["X-Chatwoot-Delivery": "p1"])
            await projections.waitUntilApplied(await server.ledger.headSeq())
            let pending = await projections.state(of: address)
            _ = try await server.post(opened, headers: ["X-Chatwoot-Delivery": "p2"])
            await projections.waitUntilApplied(await server.ledger.headSeq())
            return [pending, await projections.state(of: address)]
        }
        // Without a policy it records that no version decides (a pause) beside the two webhooks.
        let events = try readLedger(directory)
        #expect(events.map(\.type).sorted() == [EventType.policyDeactivated, EventType.webhookReceived, EventType.webhookReceived].sorted())
        let pause = try #require(events.first { $0.type == EventType.policyDeactivated })
        #expect(states[0]?.status == .pending)
        #expect(states[0]?.contact?.name == "Jane Doe")
        #expect(states[1]?.status == .open, "the hand-off (pending → open) is projected")

        // After a restart the state comes back from SQLite (checkpoint), not from an empty fold.
        let index = try LedgerIndex(path: directory.indexPath, ledgerID: directory.readManifest())
        let reopened = try ProjectionStore(index: index)
        #expect(reopened.checkpoint == 3)
        #expect(reopened.versionInForce == BotVersionInForce(pausedAt: pause.seq))
        #expect(reopened[address]?.status == .open)
    }

    @Test("a service stopped by an error says why, and waiting for it returns instead of hanging")
    func aServiceStoppedByAnErrorIsReported() async throws {
        let setup = try StallableService()
        let service = setup.service
        setup.ledger.fail(true) // its first append (the pause it records at start) fails
        let waiting = Self.returns { await service.waitUntilApplied(5) } // may start waiting before the failure or after it
        let run = Task { try await service.run() }
        await #expect(throws: LedgerError.self) { try await run.value }
        #expect(try await waiting(.seconds(10)), "a wait begun before the failure returns")
        #expect(try await Self.returns { await service.waitUntilApplied(7) }(.seconds(10)), "and so does one begun after it")
        #expect(await service.failure?.contains("(injected)") == true)
        #expect(await !service.hasStarted)
        await setup.file.close()
    }

    @Test("a service that ends without an error (a shutdown) also stops every wait")
    func aServiceShutDownReleasesWaiters() async throws {
        let setup = try StallableService()
        let service = setup.service
        let run = Task { try await service.run() }
        await service.waitUntilApplied(1) // the pause it records at start
        let waiting = Self.returns { await service.waitUntilApplied(100) } // never reached: nothing more is appended
        await setup.file.close() // ends the service's subscription: it returns, as on a shutdown
        _ = try? await run.value
        #expect(try await waiting(.seconds(10)), "the wait returns")
        #expect(await service.failure == nil, "a shutdown is not a failure")
    }

    @Test("a wait for an input returns once the input's decision is in the ledger, not once its batch is folded")
    func aWaitCoversTheDecisionsAppend() async throws {
        let setup = try StallableService(policy: PolicyLoader.load(path: fixturesDirectory().appendingPathComponent("policies/shop-bot.yml").path))
        let (service, ledger, file) = (setup.service, setup.ledger, setup.file)
        let run = Task { try await service.run() }
        await service.waitUntilApplied(1) // the version's activation
        // The customer's message is stored as ingest stores it; the decision's append stalls.
        await ledger.stall()
        let input = try await file.append([EventDraft(stream: "1/128", type: EventType.webhookReceived, time: 1_764_000_000_000_000,
                                                      body: try chatwootFixture("webhook-message_created-incoming.json"))])
        // Wait until the batch is folded (the store's own checkpoint moves then), so that the
        // wait below starts while the decision's append is stalled.
        for _ in 0..<1000 where await service.checkpoint < input.upperBound { try await Task.sleep(for: .milliseconds(10)) }
        try #require(await service.checkpoint >= input.upperBound)
        let waiting = Self.returns { await service.waitUntilApplied(input.upperBound) }
        #expect(try await !waiting(.milliseconds(500)), "the batch is folded, but its decision is not in the ledger yet")
        await ledger.resume()
        #expect(try await waiting(.seconds(10)))
        #expect(try readLedger(setup.directory).contains { $0.type == EventType.decision && $0.causation == input.upperBound })
        run.cancel()
        _ = try? await run.value
        await file.close()
    }

    /// A projection service over a new file ledger whose appends go through a ``StallingLedger``
    /// (to stall or fail them).
    private struct StallableService {
        let temp = TemporaryDirectory()
        let file: FileLedger
        let ledger: StallingLedger
        let service: ProjectionService
        var directory: LedgerDirectory { temp.ledgerDirectory }

        init(policy: Policy? = nil) throws {
            (file, _) = try FileLedger.open(directory: temp.ledgerDirectory)
            ledger = StallingLedger(base: file)
            service = try ProjectionService(ledger: ledger, directory: temp.ledgerDirectory, policy: policy,
                                            logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
        }
    }

    /// Starts `wait`; the function returned says whether it has returned by the time given (a
    /// wait that never returns fails the test instead of hanging it).
    private static func returns(_ wait: @escaping @Sendable () async -> Void) -> (Duration) async throws -> Bool {
        let returned = LockedBox(false)
        Task { await wait(); returned.value = true }
        return { limit in
            let deadline = ContinuousClock.now + limit
            while ContinuousClock.now < deadline {
                if returned.value { return true }
                try await Task.sleep(for: .milliseconds(10))
            }
            return false
        }
    }
}
