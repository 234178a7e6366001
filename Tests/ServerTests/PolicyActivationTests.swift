import Chatwoot
import Domain
import Engine
import Foundation
import Ledger
import Logging
import Policy
import LedgerbotTesting
import Projections
import Server
import Simulator
import Testing

/// Webhooks that ingest stored while no bot was deciding (before the bot's first start, between a
/// crash and a restart with a new version) are decided by the version that comes up next, and
/// their place in the ledger is before its `policy.activated` event: replay must decide them with
/// that version too. (A demo run on a loaded machine stored the first "hi" before the activation;
/// replay then decided it with no version at all and reported a difference.)
@Suite struct PolicyActivationTests {
    private let maria = VisitorProfile(name: "Maria Silva", email: "maria@example.com")
    private let joao = VisitorProfile(name: "João Souza", email: "joao@example.com")

    private func shopBot(version: Int) throws -> String {
        let yaml = try String(contentsOf: fixturesDirectory().appendingPathComponent("policies/shop-bot.yml"), encoding: .utf8)
        return yaml.replacingOccurrences(of: "version: 7", with: "version: \(version)")
            .replacingOccurrences(of: "how can I help?", with: "how can version \(version) help?")
    }

    /// Ingest alone over `directory`, the simulator delivering to it, while `body` runs: with
    /// `folding`, `serve` without a policy (its projection service folds what arrives, decides
    /// nothing, and records a pause); without, a bot whose deciding part is
    /// down (stored, not folded). Returns once everything stored is in (and folded).
    @discardableResult
    private func ingestOnly<T: Sendable>(_ directory: LedgerDirectory, chatwoot: ChatwootSimulator, folding: Bool,
                                         _ body: @Sendable () async throws -> T) async throws -> T {
        let logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
        let form = WebhookCompactForm(name: WebhookDigest.compactFormName, derive: WebhookDigest.compactForm(of:))
        let service = LockedBox<ProjectionService?>(nil)
        return try await ServerHarness.with(directory: directory, extraServices: { ledger in
            guard folding else { return [] }
            let projections = try! ProjectionService(ledger: ledger, directory: directory, logger: logger)
            service.value = projections
            return [projections]
        }, compactForm: form) { server in
            await chatwoot.connectBot(url: URL(string: "http://127.0.0.1:\(server.port)/webhooks/chatwoot"))
            let result = try await body()
            await chatwoot.waitForDeliveries()
            if let projections = service.value { await projections.waitUntilApplied(await server.ledger.headSeq()) }
            return result
        }
    }

    /// The customer's messages stored while no bot decides.
    private func storeWithoutDeciding(_ texts: [String], from visitor: VisitorProfile, directory: LedgerDirectory,
                                      chatwoot: ChatwootSimulator) async throws -> ConversationAddress {
        try await ingestOnly(directory, chatwoot: chatwoot, folding: false) {
            let address = try await chatwoot.startConversation(visitor)
            for text in texts { try await chatwoot.customerSays(text, in: address) }
            return address
        }
    }

    @Test func anActivationWithoutAUsableDecidesFromReplaysAsBefore() throws {
        let policy = try PolicyLoader.load(yaml: try shopBot(version: 3), file: "v3.yml")
        let body = try PolicyActivation.encode(policy, decidesFrom: 42)
        #expect(try PolicyActivation.Record(body).decidesFrom == 42)
        let text = String(decoding: body, as: UTF8.self)
        for odd in ["", "-5", "0", "\"12\"", "1.5", "true", "null", "18446744073709551616"] {
            let edited = odd.isEmpty ? text.replacingOccurrences(of: "\"decides_from\":42,", with: "")
                                     : text.replacingOccurrences(of: "\"decides_from\":42", with: "\"decides_from\":\(odd)")
            #expect(edited != text)
            let record = try PolicyActivation.Record(Array(edited.utf8))
            #expect(record.decidesFrom == nil, "decides_from \(odd.isEmpty ? "missing" : odd)")
            #expect(record.key == (try PolicyActivation.Record(body)).key, "the same policy text, whatever the field")
        }
    }

    @Test func inputsStoredBeforeAVersionCameUpAreDecidedByItLiveAndInReplay() async throws {
        let temp = TemporaryDirectory()
        let directory = temp.ledgerDirectory
        let (v1, v2) = (try shopBot(version: 1), try shopBot(version: 2))
        let v1Head = LockedBox<Seq?>(nil)
        try await ChatwootSimulator.withRunning { chatwoot in
            try await SampleBackends.withRunning { backends in
                // Before the first start: Maria's messages lie before v1's activation.
                let first = try await storeWithoutDeciding(["hi", "hello?"], from: maria, directory: directory, chatwoot: chatwoot)
                // BotStack.run replays the ledger after each run and throws on any difference.
                try await BotStack.run(yaml: v1, directory: directory, chatwoot: chatwoot, backends: backends) { bot in
                    try await bot.settle()
                    let texts = try await bot.publicBotTexts(in: first)
                    let decisions = try bot.decisions().map { ($0.seq, $0.causation) }, events = try bot.events().map { ($0.seq, $0.type) }
                    #expect(texts.first == "Hi Maria, how can version 1 help?", "\(texts) \(decisions) \(events)")
                }
                // v1 stops; João writes while no bot decides; v2 comes up and answers him.
                v1Head.value = try readLedger(directory).last?.seq
                let second = try await storeWithoutDeciding(["hi"], from: joao, directory: directory, chatwoot: chatwoot)
                try await BotStack.run(yaml: v2, directory: directory, chatwoot: chatwoot, backends: backends) { bot in
                    try await bot.settle()
                    #expect(try await bot.publicBotTexts(in: second).first == "Hi João, how can version 2 help?")
                }
            }
        }

        // Each activation names the first input it decides, which lies before it: v1 decides from
        // the ledger's start, v2 from past what v1 handled, João's message included.
        let events = try readLedger(directory)
        let activations = try events.filter { $0.type == EventType.policyActivated }.map { ($0.seq, try PolicyActivation.Record($0.body).decidesFrom) }
        try #require(activations.count == 2)
        let stoppedAt = try #require(v1Head.value)
        let joaosMessage = try #require(events.first { $0.seq > stoppedAt && $0.type == EventType.webhookReceived }?.seq)
        #expect(activations[0].1 == 1)
        let v2From = try #require(activations[1].1)
        #expect(v2From > activations[0].0 && v2From <= joaosMessage && joaosMessage < activations[1].0, "\(activations), João at \(joaosMessage)")

        let report = try await Replayer(directory: directory).run()
        #expect(report.recordedPolicies == ["shop-bot@1", "shop-bot@2"])
        #expect(report.compared > 0 && report.compared == report.identical && report.changes.isEmpty)
        #expect(report.warnings.isEmpty)

        // What-if v2 over the whole history: Maria's messages, stored before any version came
        // up, are decided by v2 as well (replayed, not "no decision"), and differ only in wording.
        var whatIf = Replayer.Options(policy: try PolicyLoader.load(yaml: v2, file: "v2.yml"))
        whatIf.threads = 1
        let v2Report = try await Replayer(directory: directory, options: whatIf).run()
        #expect(!v2Report.changes.isEmpty)
        #expect(v2Report.changes.allSatisfy { $0.recorded != nil && $0.replayed != nil }, "\(v2Report.changes.map(\.inputSeq))")
        #expect(v2Report.changes.allSatisfy { $0.inputSeq < activations[0].0 }, "only v1's decisions change")

        // A window of undecided inputs larger than replay keeps is reported, not guessed: Maria's
        // first message is then compared with "no version", and the report says why.
        var narrow = Replayer.Options()
        narrow.undecidedInputLimit = 1
        let limited = try await Replayer(directory: directory, options: narrow).run()
        #expect(limited.warnings.count == 1)
        #expect(limited.warnings.first?.contains("from seq 1 on") == true, "\(limited.warnings)")
        #expect(limited.changes.first?.inputSeq == 1)
        #expect(limited.changes.allSatisfy { $0.inputSeq < activations[0].0 }, "\(limited.changes.map(\.inputSeq))")
    }

    /// `serve` without a policy after a version ran (the bot paused, recording only): the
    /// messages of the pause are folded and never answered, and replay must not answer them with
    /// the version that ran before (it did, and reported differences, before `policy.deactivated`).
    @Test func aPauseWithoutAPolicyIsRecordedAndReplayDecidesNothingInIt() async throws {
        let temp = TemporaryDirectory()
        let directory = temp.ledgerDirectory
        try await BotStack.afterFirstRun(in: temp, visitor: maria, saying: "hi") { directory, chatwoot, backends, address in
            // Paused: serve with no policy folds what arrives and decides nothing.
            try await ingestOnly(directory, chatwoot: chatwoot, folding: true) {
                try await chatwoot.customerSays("hello? anyone?", in: address)
            }
            // Resumed: the bot answers what comes next, not what came during the pause.
            try await BotStack.run(directory: directory, chatwoot: chatwoot, backends: backends) { bot in
                try await bot.customer("hi", in: address)
                #expect(try await bot.publicBotTexts(in: address) == ["Hi Maria, how can I help?", "Hi Maria, how can I help?"])
            }
        }
        let events = try readLedger(directory)
        let pause = try #require(events.first { $0.type == EventType.policyDeactivated })
        let paused = try #require(events.first { $0.type == EventType.webhookReceived && String(decoding: $0.body, as: UTF8.self).contains("hello? anyone?") })
        #expect(PolicyActivation.deactivationFrom(pause.body).map { $0 <= paused.seq } == true, "the pause covers the message stored in it")
        #expect(events.filter { $0.type == EventType.policyActivated }.count == 2)
        #expect(!events.contains { $0.type == EventType.decision && $0.causation == paused.seq }, "nobody answered during the pause")
        // BotStack.run has replayed the ledger after each run (identical, or it throws); once more, explicitly.
        let report = try await Replayer(directory: directory).run()
        #expect(report.changes.isEmpty && report.compared == report.identical && report.warnings.isEmpty)
    }

    /// A paused `serve` killed before it checkpointed what it stored (or a PostgreSQL standby
    /// whose own checkpoint lags taking over from a paused holder): the version that resumes
    /// does not answer the messages stored during the pause, which lie past its checkpoint.
    @Test func messagesOfAPauseStayUnansweredWhenTheCheckpointLags() async throws {
        let temp = TemporaryDirectory()
        let directory = temp.ledgerDirectory
        try await BotStack.afterFirstRun(in: temp, visitor: maria, saying: "hi") { directory, chatwoot, backends, _ in
            // What the paused serve wrote before it died: its pause, then João's message,
            // and no checkpoint past them.
            let (ledger, report) = try FileLedger.open(directory: directory)
            _ = try await ledger.append([EventDraft(stream: PolicyActivation.stream, type: EventType.policyDeactivated, time: 1,
                                                    body: PolicyActivation.encodeDeactivation(from: report.headSeq + 1))])
            await ledger.close()
            let joaos = try await storeWithoutDeciding(["is anyone there?"], from: joao, directory: directory, chatwoot: chatwoot)
            try await BotStack.run(directory: directory, chatwoot: chatwoot, backends: backends) { bot in
                try await bot.settle()
                #expect(try await bot.publicBotTexts(in: joaos).isEmpty, "the pause's message is not answered on resume")
                try await bot.customer("hi", in: joaos)
                #expect(try await bot.publicBotTexts(in: joaos) == ["Hi João, how can I help?"])
            }
        }
        let report = try await Replayer(directory: directory).run()
        #expect(report.changes.isEmpty && report.compared == report.identical && report.warnings.isEmpty)
    }

    /// A pause that starts on projections rebuilt from nothing (a new PostgreSQL instance, a
    /// schema change) still names the first input no version decided, not the ledger's start:
    /// replay drops its own decisions from there on.
    @Test func aPauseOnRebuiltProjectionsStartsAfterTheLastDecision() async throws {
        let temp = TemporaryDirectory()
        let directory = temp.ledgerDirectory
        try await BotStack.afterFirstRun(in: temp, visitor: maria, saying: "hi") { directory, chatwoot, _, _ in
            try FileManager.default.removeItem(atPath: directory.indexPath) // the projections go with the index
            try await ingestOnly(directory, chatwoot: chatwoot, folding: true) {}
        }
        let events = try readLedger(directory)
        let lastCause = try #require(events.filter { $0.type == EventType.decision }.compactMap(\.causation).max())
        let pause = try #require(events.last { $0.type == EventType.policyDeactivated })
        #expect(PolicyActivation.deactivationFrom(pause.body) == lastCause + 1)
        let report = try await Replayer(directory: directory).run()
        #expect(report.changes.isEmpty && report.compared == report.identical)
    }

    /// After a pause, a version resumed and died before deciding anything; then an instance
    /// whose projections start from nothing comes up. The pause's messages lie before the resumed
    /// version's `decides_from`, so they stay unanswered, though no decision after them says so.
    @Test func aLaterStartDecidesNothingBeforeAnEarlierActivationsDecidesFrom() async throws {
        let temp = TemporaryDirectory()
        try await BotStack.afterFirstRun(in: temp, visitor: maria, saying: "hi") { directory, chatwoot, backends, _ in
            let joaos = try await ingestOnly(directory, chatwoot: chatwoot, folding: true) {
                let address = try await chatwoot.startConversation(self.joao)
                try await chatwoot.customerSays("is anyone there?", in: address)
                return address
            }
            try await BotStack.run(directory: directory, chatwoot: chatwoot, backends: backends) { bot in try await bot.settle() }
            #expect(try readLedger(directory).filter { $0.type == EventType.policyActivated }.count == 2, "the resumed version's activation")
            try FileManager.default.removeItem(atPath: directory.indexPath) // the next instance's projections start from nothing
            try await BotStack.run(directory: directory, chatwoot: chatwoot, backends: backends) { bot in
                try await bot.settle()
                #expect(try await bot.publicBotTexts(in: joaos).isEmpty, "the pause's message is not answered")
            }
        }
    }

    /// A history only ever recorded (`serve` without a policy from the start), then a version
    /// on projections rebuilt from nothing (a new PostgreSQL instance's data directory): the
    /// recorded messages are not answered, months later, all at once.
    @Test func aRecordedOnlyHistoryIsNotAnsweredByTheFirstVersion() async throws {
        let temp = TemporaryDirectory()
        let directory = temp.ledgerDirectory
        try await ChatwootSimulator.withRunning { chatwoot in
            try await SampleBackends.withRunning { backends in
                let joaos = try await ingestOnly(directory, chatwoot: chatwoot, folding: true) {
                    let address = try await chatwoot.startConversation(self.joao)
                    try await chatwoot.customerSays("hello, is this the shop?", in: address)
                    return address
                }
                try FileManager.default.removeItem(atPath: directory.indexPath) // the new instance's projections start from nothing
                try await BotStack.run(directory: directory, chatwoot: chatwoot, backends: backends) { bot in
                    try await bot.settle()
                    #expect(try await bot.publicBotTexts(in: joaos).isEmpty, "the recorded message is not answered")
                    try await bot.customer("hi", in: joaos)
                    #expect(try await bot.publicBotTexts(in: joaos) == ["Hi João, how can I help?"])
                }
            }
        }
        let events = try readLedger(directory)
        let pause = try #require(events.first { $0.type == EventType.policyDeactivated }, "recording only is recorded")
        let recorded = try #require(events.first { $0.type == EventType.webhookReceived }?.seq)
        #expect(PolicyActivation.deactivationFrom(pause.body).map { $0 <= recorded } == true, "and covers the first webhook")
    }
}
