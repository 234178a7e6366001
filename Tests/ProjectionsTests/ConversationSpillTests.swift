import Chatwoot
import Domain
import Foundation
import Ledger
import LedgerbotTesting
import SQLite
import Testing
@testable import Projections

/// A store that keeps few states in memory (``ConversationSpill``) folds what one that keeps
/// them all folds: the same change for every event, so the reactor decides the same.
@Suite struct ConversationSpillTests {
    /// Twelve conversations in two accounts, visited three times each in turn (so a state is
    /// long spilled when its next event comes), customers coming back to new conversations (their
    /// earlier conversations are read from the spill), decisions and effect results, and
    /// conversation payloads without an account.
    private func drafts() throws -> [EventDraft] {
        var script = LedgerScript()
        var time = 1_778_663_742.0
        var message = 9_000
        for round in 0..<3 {
            for index in 0..<12 {
                let account = index < 8 ? 1 : 2
                let conversation = 300 + index
                let contact = 60 + index % 4 // conversations 300, 304, 308 share a customer, and so on
                let address = ConversationAddress(accountId: account, conversationId: conversation)
                let stream = "\(account)/\(conversation)"
                time += 7
                message += 1
                let status = round == 2 && index % 3 == 0 ? "open" : "pending"
                let body = try Webhooks.message(message, "question \(round) in \(conversation)", by: .customer,
                                                createdAt: time, status: status, updatedAt: time + 0.01)
                script.webhook(try Webhooks.moved(body, account: account, conversation: conversation, contact: contact), at: time, stream: stream)
                let decisionSeq = script.nextSeq
                let decision = Decision(conversation: address, commands: [.sendMessage(.text("answer \(round)"))],
                                        explanation: StateUpdate(intent: IntentScore(name: "faq", confidence: 0.5 + Double(index) / 100))
                                            .apply(to: ["rule": "test"]), policy: "test@1")
                script.append(EventDraft(stream: stream, type: EventType.decision, time: LedgerScript.micros(time) + 60_000,
                                         causation: decisionSeq - 1, body: try decision.encoded()))
                let result = EffectResult(decision: decisionSeq, command: 0, kind: "send_message", outcome: .ok, status: 200,
                                          messageId: message + 10_000, attempts: 1, latencyMilliseconds: 40, error: nil)
                script.append(EventDraft(stream: stream, type: EventType.effectResult, time: LedgerScript.micros(time) + 70_000,
                                         causation: decisionSeq, body: try result.encoded()))
            }
            // Conversation 301 (account 1 only) changes status in a payload without an account:
            // it is found among the spilled conversations.
            time += 3
            let event = try Webhooks.conversationEvent("conversation_status_changed", status: round == 1 ? "snoozed" : "open", updatedAt: time)
            var bare = try JSONDecoder().decode(JSONValue.self, from: Data(event))
            bare.put("messages", .array([]))
            bare.put("id", 301)
            script.webhook(try Webhooks.encode(bare), at: time, stream: "?/301")
        }
        return script.drafts
    }

    @Test func aStoreThatSpillsFoldsWhatOneInMemoryFolds() async throws {
        let events = try await TestLedger(try drafts()).events()
        var memory = ConversationStore()
        let spill = try ConversationSpill()
        var bounded = ConversationStore(spill: spill, residentLimit: 3, residentContacts: 2)
        var resident = 0
        for event in events {
            let expected = memory.apply(event)
            let change = bounded.apply(event)
            #expect(change == expected, "seq \(event.seq)")
            try bounded.evictIfNeeded()
            resident = max(resident, bounded.conversations.count)
        }
        #expect(memory.conversations.count == 12)
        #expect(resident <= 3)
        for (address, state) in memory.conversations { #expect(bounded[address] == state, "\(address)") }
        #expect(bounded.contacts.count <= 2 && bounded.appliedSeq == memory.appliedSeq)
        for (key, record) in memory.contacts { #expect(bounded.contact(key) == record, "\(key)") }
        // The paths that matter were taken: states written and read back, a returning customer's
        // earlier conversations read from the spill, the account-less payload routed.
        let counts = spill.counts
        #expect(counts.written > 12 && counts.readBack > 12, "\(counts)")
        #expect(memory[ConversationAddress(accountId: 1, conversationId: 304)]?.earlierConversations?.map(\.conversationId) == [300])
        #expect(memory[ConversationAddress(accountId: 1, conversationId: 301)]?.status == .open)
        #expect(memory[ConversationAddress(accountId: 1, conversationId: 301)]?.transitions.contains { $0.to == .snoozed } == true)
    }

    @Test func aSpillThatCannotBeReadBackStopsTheFold() async throws {
        let events = try await TestLedger(try drafts()).events()
        let spill = try ConversationSpill()
        var bounded = ConversationStore(spill: spill, residentLimit: 2)
        var failure: ProjectionError?
        for (index, event) in events.enumerated() {
            bounded.apply(event)
            if index == 40 {
                // Another writer damages every stored state.
                let other = try Connection(path: spill.directory.appendingPathComponent("states.sqlite").path)
                try other.execute("UPDATE states SET body = X'7B7D'")
            }
            do { try bounded.evictIfNeeded() } catch let error as ProjectionError {
                failure = error
                break
            }
        }
        let error = try #require(failure)
        #expect(error ~= .spill)
        #expect(error.message.contains("cannot read the state of conversation"), "\(error.message)")
    }

    @Test func aSpillOutsideAWritableDirectoryIsAClearError() throws {
        let missing = URL(fileURLWithPath: "/nonexistent-\(UUID().uuidString)")
        #expect {
            try ConversationSpill(parent: missing)
        } throws: { error in
            (error as? ProjectionError).map { $0 ~= .spill && $0.message.contains("set TMPDIR to a writable directory") } ?? false
        }
    }

    @Test func theSpillIsPrivateAndRemovedWithIt() throws {
        var directory: URL?
        do {
            let spill = try ConversationSpill()
            directory = spill.directory
            #expect(FileManager.default.fileExists(atPath: spill.directory.path))
            // Customer messages are in there: no one else may read them.
            let permissions = try FileManager.default.attributesOfItem(atPath: spill.directory.path)[.posixPermissions] as? Int
            #expect(permissions == 0o700)
        }
        #expect(!FileManager.default.fileExists(atPath: try #require(directory).path))
    }

    @Test func aSpillLeftByAKilledProcessIsRemovedByTheNext() async throws {
        let parent = TemporaryDirectory()
        let root = URL(fileURLWithPath: parent.path)
        // A process that has ended, as a replay killed with SIGKILL has.
        let ended = Process()
        ended.executableURL = URL(fileURLWithPath: "/bin/true")
        try ended.run()
        try await offPool { ended.waitUntilExit() }
        let abandoned = root.appendingPathComponent("\(ConversationSpill.namePrefix)\(ended.processIdentifier)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: abandoned, withIntermediateDirectories: false)
        try Data("scratch".utf8).write(to: abandoned.appendingPathComponent("states.sqlite"))
        // One of a process that still runs (this one), and a directory that only looks alike.
        let running = root.appendingPathComponent("\(ConversationSpill.namePrefix)\(getpid())-\(UUID().uuidString)")
        let other = root.appendingPathComponent("\(ConversationSpill.namePrefix)notes")
        for directory in [running, other] { try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: false) }
        let spill = try ConversationSpill(parent: root)
        #expect(!FileManager.default.fileExists(atPath: abandoned.path))
        #expect(FileManager.default.fileExists(atPath: running.path) && FileManager.default.fileExists(atPath: other.path))
        #expect(spill.directory.lastPathComponent.hasPrefix("\(ConversationSpill.namePrefix)\(getpid())-"))
    }

    @Test func storedStatesAreJSONEncodersBytesAndReadBackEqual() async throws {
        let ledger = try await TestLedger(try drafts())
        let store = try ConversationStore.build(directory: ledger.directory)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        for state in store.conversations.values {
            let stored = try state.storedJSON()
            #expect(stored == [UInt8](try encoder.encode(state)))
            #expect(try ConversationState(storedJSON: stored) == state)
        }
    }
}
