import Ledger
import Projections

/// The inputs a replay has read that the reactor reacts to (a customer's message or answer, a
/// lookup or NLU result, a timer) and whose recorded decision it has not met yet, with what the
/// reactor needs to decide them again.
///
/// Live, a bot version decides every input from its ``PolicyActivation/Record/decidesFrom`` on,
/// and that can be before its `policy.activated` event: inputs past the projections' checkpoint
/// when it starts — stored while no bot decided (the first start racing the first delivery, a
/// crash, another instance taking the reactor's lease), or decided silently by the version before
/// it but not yet checkpointed. When replay reaches such an activation it decides those inputs
/// again with the version that really decided them.
///
/// Live decides in seq order, so once the decision for input N is recorded every input before
/// N has been dealt with: those are dropped. The window is bounded
/// (``Replayer/Options/undecidedInputLimit``); an activation reaching further back than it holds
/// is reported (``ReplayReport/warnings``), not guessed.
struct UndecidedInputs {
    /// What the reactor needs to decide an input again: the event, its conversation's state
    /// before it and the event as read (the state after it is folded again on that rare path).
    struct Input {
        var event: LedgerEvent
        var before: ConversationState?
        var read: Projector.Input
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

    mutating func append(_ input: Input) {
        if slots.count - start == limit {
            droppedThrough = slots[start]!.event.seq
            dropFirst(1)
        }
        slots.append(input)
    }

    /// The decision for `seq` is recorded: it and every input before it are dealt with.
    mutating func decided(through seq: Seq) {
        var end = start
        while end < slots.count, slots[end]!.event.seq <= seq { end += 1 }
        dropFirst(end - start)
    }

    /// The recorded time of input `seq`, while it is in the window.
    func time(of seq: Seq) -> Int64? {
        for case let input? in slots[start...] {
            if input.event.seq == seq { return input.event.time }
            if input.event.seq > seq { break }
        }
        return nil
    }

    /// Calls `body` with each input from `seq` on, in seq order.
    func forEach(from seq: Seq, _ body: (Input) -> Void) {
        for case let input? in slots[start...] where input.event.seq >= seq { body(input) }
    }

    var count: Int { slots.count - start }

    private mutating func dropFirst(_ count: Int) {
        guard count > 0 else { return }
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
