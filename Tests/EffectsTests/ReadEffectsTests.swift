import Domain
import Effects
import LedgerbotTesting
import Logging
import Testing

/// ``ReadEffects`` as `replay --live` uses it: reads are performed, writes never.
@Suite struct ReadEffectsTests {
    /// Answers every lookup as found and counts the attempts.
    struct CountingLookups: LookupPerformer {
        let attempts = LockedBox(0)
        func attempt(_ call: LookupCall) async -> AttemptOutcome<LookupAnswer> {
            attempts.mutate { $0 += 1 }
            return .success(LookupAnswer(lookup: call.name, found: true, fields: ["status": .string("shipped")]))
        }
    }

    @Test func liveEffectsPerformReadsAndNeverWrites() async throws {
        let lookups = CountingLookups()
        let reads = ReadEffects(lookups: lookups, nlu: nil, logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
        let booking = LookupCall(name: "create_booking", method: "POST", url: "http://127.0.0.1:9/bookings", body: "{}")
        #expect(await reads.perform(.lookup(booking), decision: 7, index: 0) == nil)
        #expect(await reads.perform(.setStatus(.open), decision: 7, index: 1) == nil)
        #expect(lookups.attempts.value == 0)

        let order = LookupCall(name: "order_status", url: "http://127.0.0.1:9/orders/1")
        let result = try #require(await reads.perform(.lookup(order), decision: 7, index: 2))
        #expect(result.outcome == .ok && result.decision == 7 && result.command == 2 && result.kind == "lookup")
        #expect(LookupAnswer(result.data)?.fields["status"]?.stringValue == "shipped")
        #expect(lookups.attempts.value == 1)

        // An NLU call without a configured service is a recorded failure, not a crash.
        let understood = try #require(await reads.perform(.understand(UnderstandRequest(engine: "rasa", text: "hi", session: "s", messageId: nil)),
                                                          decision: 7, index: 3))
        #expect(understood.outcome == .failed)
    }
}
