import AsyncHTTPClient
import BotRuntime
import Chatwoot
import Domain
import Foundation
import Ledger
import LedgerbotTesting
import Logging
import NIOCore
import Simulator
import Testing

/// A POST action interrupted by a crash: the backend took the booking, the result never reached
/// the ledger. On restart the outbox resends with the same idempotency key, and the backend
/// recognises it — one booking, and its reference recorded.
@Suite struct ActionRecoveryTests {
    @Test func aResentActionCarriesTheSameKeyAndBooksOnce() async throws {
        let temp = TemporaryDirectory()
        let directory = temp.ledgerDirectory
        try await ChatwootSimulator.withRunning { chatwoot in
            try await SampleBackends.withRunning { backends in
                let body = #"{"room":"deluxe","checkin":"2027-03-10","checkout":"2027-03-12","guests":2,"name":"Maria Silva","email":"maria@example.com"}"#
                let call = LookupCall(name: "create_booking", method: "POST", url: "${BOOKING_API}/bookings", body: body,
                                      extract: ["reference": "reference"], idempotencyKey: "ledgerbot-42-create_booking")
                // The decision is durable; then the crashed process had sent the POST (simulated here).
                let (ledger, _) = try FileLedger.open(directory: directory)
                let decision = Decision(conversation: ConversationAddress(accountId: 1, conversationId: 7), commands: [.lookup(call)], policy: "test")
                _ = try await ledger.append([EventDraft(stream: "1/7", type: EventType.decision, time: 1, causation: nil, body: try decision.encoded())])
                await ledger.close()
                var request = HTTPClientRequest(url: backends.baseURL + "/bookings")
                request.method = .POST
                request.headers.add(name: "Content-Type", value: "application/json")
                request.headers.add(name: "Idempotency-Key", value: "ledgerbot-42-create_booking")
                request.body = .bytes(ByteBuffer(string: body))
                let first = try await HTTPClient.withHTTPClient { client in try await client.execute(request, timeout: .seconds(10)) }
                #expect(first.status.code == 201)
                #expect(backends.bookings.count == 1)

                // Restart: the outbox finds the decision without a result and performs it again.
                var configuration = BotConfiguration(directory: directory)
                configuration.chatwoot = .init(baseURL: chatwoot.baseURL, accessToken: chatwoot.accessToken)
                configuration.lookupVariables = ["BOOKING_API": backends.baseURL]
                try await Bot.withRunning(configuration, logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })) { bot in
                    try await bot.settle()
                }
                let results = try readLedger(directory).filter { $0.type == EventType.effectResult }.map { try EffectResult.decode($0.body) }
                let result = try #require(results.first)
                #expect(result.outcome == .ok)
                #expect(LookupAnswer(result.data)?.fields["reference"]?.stringValue == "BK-0001")
                #expect(backends.bookings.count == 1, "the resend was recognised, not booked twice")
                let posts = backends.requests.filter { $0.method == "POST" }
                #expect(posts.count == 2)
                #expect(Set(posts.compactMap { $0.header("Idempotency-Key") }) == ["ledgerbot-42-create_booking"])
            }
        }
    }
}
