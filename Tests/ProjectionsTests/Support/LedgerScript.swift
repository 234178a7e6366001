import Chatwoot
import Domain
import Foundation
import JSONScan
import Ledger
import LedgerbotTesting
@testable import Projections

/// Ledger events written the way the server, the reactor and the outbox write them, with seqs
/// known in advance (a fresh ledger numbers them 1, 2, …).
struct LedgerScript {
    static let address = ConversationAddress(accountId: Webhooks.account, conversationId: Webhooks.conversation)
    static let stream = "\(Webhooks.account)/\(Webhooks.conversation)"

    private(set) var drafts: [EventDraft] = []
    private var deliveries = 0

    var nextSeq: Seq { Seq(drafts.count + 1) }

    /// A stored delivery (`webhook.received`), recorded at `at` (Unix seconds) + 50 ms.
    @discardableResult
    mutating func webhook(_ body: [UInt8], at: Double, stream: String = LedgerScript.stream) -> Seq {
        deliveries += 1
        let facts = try! body.withUnsafeBytes { try WebhookFacts(body: $0) } // test bodies are JSON objects
        let meta = JSONWriter.object([("event", .string(facts.event ?? "unknown")), ("dedupe", .string("d:delivery-\(deliveries)")),
                                      ("delivery", .string("delivery-\(deliveries)"))])
        drafts.append(EventDraft(stream: stream, type: EventType.webhookReceived, time: Self.micros(at) + 50_000, body: body, meta: meta))
        return Seq(drafts.count)
    }

    /// A redelivery the server recognised (`webhook.duplicate`, empty body).
    @discardableResult
    mutating func duplicate(of original: Seq, at: Double) -> Seq {
        let meta = JSONWriter.object([("event", .string("message_created")), ("dedupe", .string("d:redelivered")), ("original_seq", .int(Int64(original)))])
        drafts.append(EventDraft(stream: Self.stream, type: EventType.webhookDuplicate, time: Self.micros(at) + 50_000, causation: original, body: [], meta: meta))
        return Seq(drafts.count)
    }

    /// A reactor decision for the conversation, caused by the previous event.
    @discardableResult
    mutating func decision(_ commands: [Command], _ update: StateUpdate = StateUpdate(), at: Double) -> Seq {
        let decision = Decision(conversation: Self.address, commands: commands, explanation: update.apply(to: ["rule": "test"]), policy: "test@1")
        drafts.append(EventDraft(stream: Self.stream, type: EventType.decision, time: Self.micros(at) + 60_000,
                                 causation: Seq(drafts.count), body: try! decision.encoded())) // encoding a plain value cannot fail
        return Seq(drafts.count)
    }

    /// The outbox's result of one command.
    @discardableResult
    mutating func result(_ decision: Seq, command: Int, kind: String, outcome: EffectResult.Outcome = .ok, status: Int? = 200,
                         messageId: Int? = nil, error: String? = nil, at: Double) -> Seq {
        let result = EffectResult(decision: decision, command: command, kind: kind, outcome: outcome, status: status, messageId: messageId,
                                  attempts: 1, latencyMilliseconds: 40, error: error)
        drafts.append(EventDraft(stream: Self.stream, type: EventType.effectResult, time: Self.micros(at) + 70_000,
                                 causation: decision, body: try! result.encoded())) // encoding a plain value cannot fail
        return Seq(drafts.count)
    }

    /// Any other event, as given.
    @discardableResult
    mutating func append(_ draft: EventDraft) -> Seq {
        drafts.append(draft)
        return Seq(drafts.count)
    }

    static func micros(_ seconds: Double) -> Int64 { Int64((seconds * 1_000_000).rounded()) }
}

/// A fresh ledger in a temporary directory holding `drafts`.
struct TestLedger {
    let temporary = TemporaryDirectory()
    var directory: LedgerDirectory { LedgerDirectory(dataPath: temporary.path + "/data") }
    let ledgerID: [UInt8]

    init(_ drafts: [EventDraft]) async throws {
        var configuration = LedgerConfiguration()
        configuration.durability = .none
        let (ledger, _) = try FileLedger.open(directory: LedgerDirectory(dataPath: temporary.path + "/data"), configuration: configuration)
        // Several frames, as a live ledger has: batches of up to 7 events.
        var start = 0
        while start < drafts.count {
            let end = min(start + 7, drafts.count)
            _ = try await ledger.append(Array(drafts[start..<end]))
            start = end
        }
        ledgerID = ledger.ledgerID
        await ledger.close()
    }

    /// Every event, in seq order.
    func events() throws -> [LedgerEvent] {
        let cursor = try LedgerCursor(directory: directory)
        var events: [LedgerEvent] = []
        while let event = try cursor.next() { events.append(event) }
        return events
    }

    /// A new connection to `DATA/index.sqlite` (the ledger is closed, so it is the only writer).
    func openIndex() throws -> LedgerIndex {
        try LedgerIndex(path: directory.indexPath, ledgerID: ledgerID)
    }
}
