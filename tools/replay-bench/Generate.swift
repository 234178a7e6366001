import BotRuntime
import Chatwoot
import Foundation
import Ledger
import Logging
import Policy
import Simulator

/// Records a large, realistic ledger by running the real bot (`serve`'s assembly, the
/// `support-triage` example policy) against the Chatwoot simulator and the sample backends on
/// loopback, with many customers at once: greetings, FAQs with rich replies, authentication
/// (lookups that succeed and fail), order numbers, hand-offs to a human who answers and
/// resolves, gibberish that falls back. Every event is what production would record: webhooks
/// with Chatwoot's payloads and echoes, decisions, effect results.
struct LedgerGenerator {
    let target: Int
    let directory: LedgerDirectory
    let policyPath: String
    let workers: Int

    /// A deterministic source of choices (SplitMix64), so two runs script the same conversations.
    struct Choices {
        var state: UInt64
        mutating func next(_ bound: Int) -> Int {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return Int((z ^ (z >> 31)) % UInt64(bound))
        }
        mutating func pick<T>(_ items: [T]) -> T { items[next(items.count)] }
    }

    enum Step { case says(String), agentSays(String), agentResolves }

    static let greetings = ["hi", "hello there", "hey, quick question", "good morning", "hi team", "hello, I need some help"]
    static let questions = ["what are your opening hours?", "when are you open on saturday?", "how do refunds work?",
                            "can I get my money back?", "I forgot my password", "how do I reset my password?",
                            "what is your refund policy?", "are you open on sunday?"]
    static let goodbyes = ["thanks, bye", "thank you", "ok thx", "no, that's all"]
    static let gibberish = ["xq zzv plonk", "asdf qwerty", "blorp 42 fnord", "lorem ipsum dolor"]

    /// One customer's conversation.
    static func script(_ choices: inout Choices) -> (VisitorProfile, [Step]) {
        let known = [("Maria Silva", "maria@example.com", "AB-10001"), ("João Souza", "joao@example.com", "AB-20001")]
        let name = "Customer \(choices.next(1_000_000))"
        switch choices.next(10) {
        case 0, 1, 2, 3: // FAQs
            var steps: [Step] = [.says(choices.pick(greetings))]
            for _ in 0..<(1 + choices.next(3)) { steps.append(.says(choices.pick(questions))) }
            steps.append(.says(choices.pick(goodbyes)))
            return (VisitorProfile(name: name), steps)
        case 4, 5: // authentication, then the account's status
            let (person, email, order) = choices.pick(known)
            let wrong = choices.next(4) == 0
            return (VisitorProfile(name: person), [.says("what is the status of my account?"), .says(wrong ? "nobody@example.com" : email),
                                                   .says(wrong ? "ZZ-99999" : order), .says(choices.pick(goodbyes))])
        case 6, 7: // a human, who answers and resolves
            return (VisitorProfile(name: name), [.says(choices.pick(greetings)), .says("I want to talk to a human agent"),
                                                 .agentSays("Hi, I'm Sam from the support team. How can I help?"), .says(choices.pick(questions)),
                                                 .agentSays("Done — anything else?"), .agentResolves])
        case 8: // an order number, then a delivery question (hand-off)
            return (VisitorProfile(name: name), [.says("AB-\(10000 + choices.next(90000))"), .says("where is my order?"),
                                                 .agentSays("Let me check that for you."), .agentResolves])
        default: // not understood twice: hand-off after the fallbacks
            return (VisitorProfile(name: name), [.says(choices.pick(gibberish)), .says(choices.pick(gibberish)), .agentResolves])
        }
    }

    func run() async throws {
        let quiet = Logger(label: "replay-bench.generate", factory: { _ in SwiftLogNoOpLogHandler() })
        let policy = try PolicyLoader.load(path: policyPath)
        var simulator = SimulatorConfiguration()
        simulator.delivery = DeliveryConfiguration(timeout: .seconds(30), maximumAttempts: 3, retryDelay: .milliseconds(200))
        let target = self.target, workers = self.workers, directory = self.directory
        try await ChatwootSimulator.withRunning(configuration: simulator, logger: quiet) { chatwoot in
            try await SampleBackends.withRunning(logger: quiet) { backends in
                var configuration = BotConfiguration(directory: directory, policy: policy)
                configuration.chatwoot = .init(baseURL: chatwoot.baseURL, accessToken: chatwoot.accessToken, requestTimeout: .seconds(30))
                configuration.lookupVariables = ["CUSTOMERS_API": backends.baseURL, "ORDERS_API": backends.baseURL,
                                                 "CONTENT_API": backends.baseURL, "BOOKING_API": backends.baseURL, "SHOP_API": backends.baseURL]
                try await Bot.withRunning(configuration, logger: quiet) { bot in
                    await chatwoot.connectBot(url: bot.webhookURL)
                    let started = ContinuousClock.now
                    let conversations = LockedCounter()
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        for worker in 0..<workers {
                            group.addTask {
                                var choices = Choices(state: UInt64(worker) &* 0x1234_5678_9ABC_DEF1)
                                while await bot.ledger.headSeq() < Seq(target) {
                                    let (customer, steps) = Self.script(&choices)
                                    try await Self.play(customer, steps, chatwoot: chatwoot)
                                    conversations.increment()
                                }
                            }
                        }
                        group.addTask {
                            while true {
                                try await Task.sleep(for: .seconds(2))
                                let head = await bot.ledger.headSeq()
                                let seconds = (ContinuousClock.now - started).inSeconds
                                FileHandle.standardError.write(Data(String(format: "generate: %d events, %d conversations, %.0f events/s\n",
                                                                           head, conversations.value, Double(head) / seconds).utf8))
                                if head >= Seq(target) { return }
                            }
                        }
                        try await group.waitForAll()
                    }
                    try await bot.settle(timeout: .seconds(120)) { await chatwoot.waitForDeliveries() }
                    await chatwoot.connectBot(url: nil)
                    print("generated \(await bot.ledger.headSeq()) events in \(conversations.value) conversations (\(String(format: "%.0f", (ContinuousClock.now - started).inSeconds)) s) into \(directory.dataPath)")
                }
            }
        }
    }

    /// Plays one conversation, waiting (up to a few seconds) for the bot's answer to each message.
    static func play(_ customer: VisitorProfile, _ steps: [Step], chatwoot: ChatwootSimulator) async throws {
        let conversation = try await chatwoot.startConversation(customer)
        for step in steps {
            switch step {
            case .says(let text):
                let asked = try await chatwoot.customerSays(text, in: conversation)
                try? await chatwoot.waitUntil(timeout: .seconds(5)) { chatwoot in
                    try await chatwoot.transcript(of: conversation).contains { $0.id > asked.id && $0.messageType == .outgoing }
                }
            case .agentSays(let text):
                _ = try await chatwoot.agentReplies(text, in: conversation)
            case .agentResolves:
                _ = try await chatwoot.agentSetsStatus(.resolved, in: conversation)
            }
        }
    }
}

final class LockedCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func increment() { lock.withLock { count += 1 } }
    var value: Int { lock.withLock { count } }
}
