import Domain
import Effects
import LedgerbotTesting
import Logging
import NLUAdapters
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

    /// Fails with `failure` first, then understands; counts the calls.
    struct FlakyNLU: ExternalNLU {
        let failure: NLUFailure
        let keepsDialogState: Bool
        let calls = LockedBox(0)
        func understand(_ text: String, session: String, messageId: String?) async -> NLUOutcome {
            let call = calls.mutate { $0 += 1; return $0 }
            return call == 1 ? .failed(failure) : .understood(NLUResult(intent: "greet", confidence: 0.9, ranking: [], entities: [], engine: "flaky"))
        }
    }

    /// A stateless service is asked again after a timeout; one that keeps dialog state (Dialogflow,
    /// Lex) is not — the first call may have moved its dialog on — except after a 429.
    @Test(arguments: [(false, NLUFailure.Kind.timeout, 2), (true, .timeout, 1), (true, .server, 1), (true, .rateLimited, 2)])
    func anNLUServiceThatKeepsDialogStateIsNotAskedTwiceOnADoubt(stateful: Bool, kind: NLUFailure.Kind, calls: Int) async throws {
        let nlu = FlakyNLU(failure: NLUFailure(kind: kind, status: kind == .rateLimited ? 429 : kind == .server ? 503 : nil, message: "doubt"),
                           keepsDialogState: stateful)
        var retry = RetryPolicy()
        retry.baseDelay = .milliseconds(1)
        let reads = ReadEffects(lookups: nil, nlu: nlu, retry: retry, logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
        let result = await reads.understand(UnderstandRequest(engine: "x", text: "hi", session: "s", messageId: nil), decision: 1, index: 0)
        #expect(nlu.calls.value == calls)
        #expect(result.outcome == (calls == 2 ? .ok : .failed))
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

        // For replay (reads only): a service that keeps dialog state is not asked (it would move
        // the live conversation's dialog on); a stateless one is.
        let request = Command.understand(UnderstandRequest(engine: "x", text: "hi", session: "ledgerbot-1-128", messageId: nil))
        let failure = NLUFailure(kind: .timeout, message: "unused")
        let stateful = FlakyNLU(failure: failure, keepsDialogState: true), stateless = FlakyNLU(failure: failure, keepsDialogState: false)
        let quiet = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
        #expect(await ReadEffects(lookups: nil, nlu: stateful, readsOnly: true, logger: quiet).perform(request, decision: 7, index: 4) == nil)
        #expect(stateful.calls.value == 0)
        #expect(await ReadEffects(lookups: nil, nlu: stateless, readsOnly: true, logger: quiet).perform(request, decision: 7, index: 4) != nil)
        #expect(stateless.calls.value >= 1)
        // The outbox asks both.
        #expect(await ReadEffects(lookups: nil, nlu: stateful, logger: quiet).perform(request, decision: 7, index: 4) != nil)
        #expect(stateful.calls.value == 1)
    }
}
