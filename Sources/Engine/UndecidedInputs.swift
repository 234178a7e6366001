import Ledger
import Projections

/// The inputs a replay has read whose recorded decision has not appeared yet, with what the
/// reactor needs to decide them again.
///
/// Live, a bot version decides every input from its ``PolicyActivation/Record/decidesFrom`` on,
/// and that can be before its `policy.activated` event: ingest stores webhooks while no bot
/// decides (before the first start, between a crash and the restart, while another instance
/// takes the reactor's lease). When replay reaches such an activation it decides those inputs
/// again with the version that really decided them.
///
/// Live decides in seq order, so once the decision for input N is recorded every input before
/// N has been dealt with: those are dropped. The window is bounded
/// (``Replayer/Options/undecidedInputLimit``); an activation reaching further back than it holds
/// is reported (``ReplayReport/warnings``), not guessed.
struct UndecidedInputs {
    struct Input {
        var event: LedgerEvent
        var change: ProjectionChange
    }

    /// Slots before `start` are emptied (nil); compacted once they are half of the array.
    private var slots: [Input?] = []
    private var start = 0
    private let limit: Int
    /// The newest input dropped to keep within the limit (its decision cannot be re-derived).
    private(set) var droppedThrough: Seq = 0

    init(limit: Int) {
        self.limit = max(1, limit)
    }

    mutating func append(_ event: LedgerEvent, _ change: ProjectionChange) {
        if slots.count - start == limit {
            droppedThrough = slots[start]!.event.seq
            dropFirst(1)
        }
        slots.append(Input(event: event, change: change))
    }

    /// The decision for `seq` is recorded: it and every input before it are dealt with.
    mutating func decided(through seq: Seq) {
        var end = start
        while end < slots.count, slots[end]!.event.seq <= seq { end += 1 }
        dropFirst(end - start)
    }

    /// The inputs from `seq` on, in seq order.
    func from(_ seq: Seq) -> [Input] {
        slots[start...].lazy.compactMap { $0 }.filter { $0.event.seq >= seq }
    }

    private mutating func dropFirst(_ count: Int) {
        guard count > 0 else { return }
        // Released at once, so the fold does not copy a state still held here on its next write.
        for index in start..<start + count { slots[index] = nil }
        start += count
        if start == slots.count {
            slots.removeAll(keepingCapacity: true)
            start = 0
        } else if start >= 64, start * 2 >= slots.count {
            slots.removeFirst(start)
            start = 0
        }
    }
}
