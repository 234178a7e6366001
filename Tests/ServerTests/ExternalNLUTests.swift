import Foundation
import Hummingbird
import LedgerbotTesting
import NIOCore
import Simulator
import Testing

/// A policy whose intents come from Rasa (`nlu.engine: rasa`): the bot asks a fake Rasa over
/// HTTP, records its answer, and continues the turn from it; when Rasa is down, `on_error` decides.
@Suite(.serialized) struct ExternalNLUTests {
    private let maria = VisitorProfile(name: "Maria Silva", email: "maria@example.com")

    /// shop-bot with Rasa in front of the built-in classifier (kept for `on_error: builtin`).
    private func policy(onError: String) throws -> String {
        let yaml = try String(contentsOf: fixturesDirectory().appendingPathComponent("policies/shop-bot.yml"), encoding: .utf8)
        return yaml.replacingOccurrences(of: "  engine: builtin\n", with: """
              engine: rasa
              rasa:
                url: "${RASA_URL}"
                token: "${RASA_TOKEN}"
                timeout: 10s
              on_error: \(onError)

            """)
    }

    /// A fake Rasa `/model/parse`: answers `intent` for every text, or fails with `status`.
    private func withFakeRasa(intent: String, confidence: Double = 0.93, status: Int = 200,
                              _ body: @Sendable (String, LockedBox<[String]>) async throws -> Void) async throws {
        try await withFakeRasa(intents: [:], otherwise: (intent, confidence), status: status, body)
    }

    /// The same, answering by text: `intents[text]`, else `otherwise`.
    private func withFakeRasa(intents: [String: (String, Double)], otherwise: (String, Double), status: Int = 200,
                              _ body: @Sendable (String, LockedBox<[String]>) async throws -> Void) async throws {
        let seen = LockedBox<[String]>([])
        let router = Router()
        router.post("/model/parse") { request, _ -> Response in
            var request = request
            let bytes = try await request.collectBody(upTo: 1 << 16)
            seen.value.append((request.uri.query ?? "") + " " + String(buffer: bytes))
            guard status == 200 else { return Response(status: .init(code: status), body: .init(byteBuffer: ByteBuffer(string: "{\"error\":\"down\"}"))) }
            let text = (try? JSONSerialization.jsonObject(with: Data(buffer: bytes)) as? [String: Any])?["text"] as? String ?? ""
            let (intent, confidence) = intents[text] ?? otherwise
            let json = """
                {"text":"x","intent":{"name":"\(intent)","confidence":\(confidence)},
                 "intent_ranking":[{"name":"\(intent)","confidence":\(confidence)},{"name":"greet","confidence":0.03}],
                 "entities":[{"entity":"order_number","value":"AB-10002","start":0,"end":8,"extractor":"RegexEntityExtractor"}]}
                """
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: json)))
        }
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                              onServerRunning: { continuation.yield($0.localAddress?.port ?? 0) })
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await app.runService(gracefulShutdownSignals: []) }
            var iterator = ports.makeAsyncIterator()
            let port = await iterator.next() ?? 0
            defer { group.cancelAll() }
            try await body("http://127.0.0.1:\(port)", seen)
        }
    }

    @Test func rasasIntentAndEntityDriveTheTurnAndAreRecorded() async throws {
        try await withFakeRasa(intent: "track_order") { url, seen in
            try await BotStack.run(yaml: try policy(onError: "fallback"), variables: ["RASA_URL": url, "RASA_TOKEN": "rasa-secret"]) { bot in
                let conversation = try await bot.chatwoot.startConversation(maria)
                try await bot.customer("wheres my stuff", in: conversation)
                #expect(try await bot.publicBotTexts(in: conversation).last == "Order AB-10002 is processing (ETA 2026-12-09).")
                #expect(seen.value.first?.contains("token=rasa-secret") == true)
                #expect(seen.value.first?.contains("\"text\":\"wheres my stuff\"") == true)
                let decisions = try bot.decisions().map(\.decision)
                #expect(decisions.first?.explanation["rule"]?.stringValue == "nlu:rasa")
                #expect(decisions.dropFirst().first?.explanation["nlu"]?["engine"]?.stringValue == "rasa")
                // The token never reaches the ledger.
                #expect(!(try bot.events().contains { String(decoding: $0.body, as: UTF8.self).contains("rasa-secret") }))
            }
        }
    }

    /// A message Rasa does not understand while the bot waits on its buttons leaves them
    /// standing, as with the built-in classifier: the option typed next is that choice.
    @Test func aMessageReadByRasaDoesNotDropTheButtonsTheBotWaitsOn() async throws {
        try await withFakeRasa(intents: ["show me the news": ("news", 0.95)], otherwise: ("nlu_fallback", 0.12)) { url, seen in
            try await BotStack.run(yaml: try policy(onError: "fallback"), variables: ["RASA_URL": url, "RASA_TOKEN": "t"]) { bot in
                let conversation = try await bot.chatwoot.startConversation(maria)
                try await bot.customer("show me the news", in: conversation)
                #expect(try await bot.lastBotMessage(.inputSelect, in: conversation)?.content == "Pick a topic:")
                try await bot.customer("hmm not sure", in: conversation)
                #expect(try await bot.publicBotTexts(in: conversation).last == "Sorry, I didn't understand.")
                try await bot.customer("Technology", in: conversation)
                #expect(try await bot.lastBotMessage(.cards, in: conversation)?.content == "Latest in technology:")
                #expect(!seen.value.contains { $0.contains("\"text\":\"Technology\"") }, "the option was read as the choice, not sent to Rasa")
            }
        }
    }

    /// A message read by Rasa while a lookup is on its way does not drop the lookup: its answer
    /// is still given, and the message gets its own.
    @Test func aMessageWhileALookupIsOnItsWayKeepsTheLookup() async throws {
        let intents: [String: (String, Double)] = ["where is order AB-10002": ("track_order", 0.95), "hello?": ("greet", 0.9)]
        try await withFakeRasa(intents: intents, otherwise: ("nlu_fallback", 0.1)) { url, _ in
            try await BotStack.run(yaml: try policy(onError: "fallback"), variables: ["RASA_URL": url, "RASA_TOKEN": "t"]) { bot in
                let conversation = try await bot.chatwoot.startConversation(maria)
                bot.backends.failNext(pathMatching: "/orders", with: .slowResponse(.seconds(2)))
                _ = try await bot.chatwoot.customerSays("where is order AB-10002", in: conversation)
                // Once the lookup is on its way, the customer writes again.
                let deadline = ContinuousClock.now + .seconds(10)
                while !bot.backends.requests.contains(where: { $0.path.hasPrefix("/orders") }), ContinuousClock.now < deadline {
                    try await Task.sleep(for: .milliseconds(20))
                }
                try await bot.customer("hello?", in: conversation)
                try await bot.settle()
                let texts = try await bot.publicBotTexts(in: conversation)
                #expect(texts.contains("Order AB-10002 is processing (ETA 2026-12-09)."), "\(texts)")
                #expect(texts.contains("Hi Maria, how can I help?"), "\(texts)")
                #expect(bot.backends.requests.filter { $0.path.hasPrefix("/orders") }.count == 1)
            }
        }
    }

    @Test func whenRasaIsDownTheBuiltinClassifierTakesOver() async throws {
        try await withFakeRasa(intent: "greet", status: 500) { url, _ in
            try await BotStack.run(yaml: try policy(onError: "builtin"), variables: ["RASA_URL": url, "RASA_TOKEN": "t"]) { bot in
                let conversation = try await bot.chatwoot.startConversation(maria)
                try await bot.customer("show me the news", in: conversation)
                #expect(try await bot.lastBotMessage(.inputSelect, in: conversation)?.content == "Pick a topic:")
                let failed = try bot.events().filter { $0.type == "effect.result" }.compactMap { String(decoding: $0.body, as: UTF8.self) }
                #expect(failed.contains { $0.contains("\"kind\":\"understand\"") && $0.contains("\"outcome\":\"failed\"") })
            }
        }
    }

    @Test func whenRasaIsDownAndThePolicySaysSoTheBotHandsOff() async throws {
        try await withFakeRasa(intent: "greet", status: 503) { url, _ in
            try await BotStack.run(yaml: try policy(onError: "handoff"), variables: ["RASA_URL": url, "RASA_TOKEN": "t"]) { bot in
                let conversation = try await bot.chatwoot.startConversation(maria)
                try await bot.customer("hello", in: conversation)
                #expect(try await bot.chatwoot.conversation(conversation).status == .open)
                #expect(try await bot.privateNotes(in: conversation).last?.contains("NLU service rasa unavailable") == true)
            }
        }
    }
}
