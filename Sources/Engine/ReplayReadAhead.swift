import Foundation
import Domain
import Ledger
import Projections

/// The first stage of a two-stage replay: a thread of its own reads the ledger (checksums,
/// inflating, decoding) and reads each event's input for the fold (a webhook's digest, an effect
/// result) while the replay folds, decides and compares the events before. Events come out in
/// ledger order, in batches, at most `window` batches ahead, so memory stays bounded whatever
/// the ledger size.
///
/// Reading inputs here changes nothing the replay computes: ``Projections/Projector/Input`` is a
/// pure function of the event. Decisions are left to the replay, which compares their bytes
/// before deciding whether to decode them at all.
final class ReplayReadAhead: @unchecked Sendable {
    struct Item {
        var event: LedgerEvent
        /// The event's input for the fold; nil for decisions (and events read from a PostgreSQL ledger).
        var input: Projector.Input?

        init(event: LedgerEvent, input: Projector.Input?) {
            self.event = event
            self.input = input
        }

        /// An event just read from `cursor`, with its input. Only a webhook's body may stay
        /// unread (its compact form is what the fold reads; the body is read when there is none):
        /// every other event is made whole, since the replay reads decisions' and policy
        /// activations' bodies itself. Decisions are left to the replay, which compares their
        /// bytes before deciding whether to decode them at all.
        init(_ read: LedgerEvent, from cursor: LedgerCursor, fromRawBody: Bool) throws {
            let event = read.isBodyDeferred && read.type != EventType.webhookReceived ? try cursor.whole(read) : read
            self.event = event
            input = event.type == EventType.decision ? nil
                : try Projector.Input(event, fromRawBody: fromRawBody, deferredBody: { try cursor.body(of: event) })
        }
    }

    // Every mutable property is guarded by `condition`; the cursor is confined to the reader thread.
    private let condition = NSCondition()
    private var batches: [[Item]] = []
    private var finished = false
    private var failure: Error?
    private var stopped = false
    private var torn: TornTail?
    /// Batches the replay is done with: the reader thread releases them, so the memory it
    /// allocated is freed on the thread that allocated it (cheaper for the allocator) and off
    /// the replay's thread.
    private var spent: [[Item]] = []
    private let window: Int

    /// Starts reading `directory` from seq 1 on a new thread.
    /// - Throws: ``Ledger/LedgerError`` for a missing or foreign ledger (before any thread starts).
    init(directory: LedgerDirectory, fromRawBody: Bool, batchSize: Int = 256, window: Int = 8) throws {
        self.window = window
        // Handed to the reader thread. Webhook bodies stay compressed unless asked for (`--from-raw`,
        // or a webhook without a compact form): reading their summaries is what the fold needs.
        nonisolated(unsafe) let cursor = try LedgerCursor(directory: directory, decoders: 0, deferringBodies: !fromRawBody)
        let thread = Thread { [self] in read(cursor, fromRawBody: fromRawBody, batchSize: batchSize) }
        thread.name = "ledgerbot replay read-ahead"
        thread.start()
    }

    /// The next batch in ledger order; nil at the end. Throws a read error where it happened
    /// (after every batch read before it).
    func next() throws -> [Item]? {
        condition.lock()
        defer { condition.unlock() }
        while batches.isEmpty && !finished { condition.wait() }
        if !batches.isEmpty {
            condition.broadcast()
            return batches.removeFirst()
        }
        if let failure { throw failure }
        return nil
    }

    /// Hands back a batch the replay has finished with (see `spent`).
    func recycle(_ batch: consuming [Item]) {
        condition.lock()
        spent.append(batch)
        condition.unlock()
    }

    /// Incomplete bytes at the end of the last segment, once the reader reached them.
    var tornTail: TornTail? {
        condition.lock()
        defer { condition.unlock() }
        return torn
    }

    /// Stops the reader thread (it finishes its current batch and exits). The thread holds this
    /// object until it ends, so a reader that stops early must call this.
    func stop() {
        condition.lock()
        stopped = true
        condition.broadcast()
        condition.unlock()
    }

    private func read(_ cursor: LedgerCursor, fromRawBody: Bool, batchSize: Int) {
        var batch: [Item] = []
        batch.reserveCapacity(batchSize)
        do {
            while let event = try cursor.next() {
                batch.append(try Item(event, from: cursor, fromRawBody: fromRawBody))
                if batch.count == batchSize {
                    guard hand(batch) else { return }
                    batch.removeAll(keepingCapacity: true)
                }
            }
            if !batch.isEmpty { guard hand(batch) else { return } }
            finish(nil, torn: cursor.tornTail)
        } catch {
            if !batch.isEmpty { guard hand(batch) else { return } }
            finish(error, torn: nil)
        }
    }

    /// Queues a batch, waiting while `window` batches are unread; false once stopped.
    private func hand(_ batch: [Item]) -> Bool {
        condition.lock()
        while !stopped && batches.count >= window { condition.wait() }
        guard !stopped else {
            condition.unlock()
            return false
        }
        batches.append(batch)
        condition.broadcast()
        let released = spent
        spent = []
        condition.unlock()
        _ = consume released // freed here, on the reader thread, outside the lock
        return true
    }

    private func finish(_ error: Error?, torn: TornTail?) {
        condition.lock()
        failure = error
        self.torn = torn
        finished = true
        condition.broadcast()
        condition.unlock()
    }
}
