@testable import Engine
import Ledger
import LedgerbotTesting
import Projections
import Testing

/// The window of inputs replay keeps until their decision is recorded (``UndecidedInputs``),
/// checked against a plain array doing the same thing.
@Suite struct UndecidedInputsTests {
    private func input(_ seq: Seq) -> UndecidedInputs.Input {
        UndecidedInputs.Input(event: LedgerEvent(seq: seq, stream: "1/1", type: "webhook.received", time: Int64(seq) * 1_000, causation: nil, body: []),
                              before: nil, read: .ignored)
    }

    private func seqs(_ inputs: UndecidedInputs, from seq: Seq = 0) -> [Seq] {
        var seen: [Seq] = []
        inputs.forEach(from: seq) { seen.append($0.event.seq) }
        return seen
    }

    @Test func aRecordedDecisionDropsItsInputAndEveryOneBefore() {
        var inputs = UndecidedInputs(limit: 10)
        for seq: Seq in [2, 3, 5, 8] { inputs.append(input(seq)) }
        inputs.decided(through: 3)
        #expect(seqs(inputs) == [5, 8])
        #expect(seqs(inputs, from: 6) == [8])
        inputs.decided(through: 7) // a decision for an input not kept (one no version reacts to)
        #expect(seqs(inputs) == [8])
        #expect(inputs.droppedThrough == 0)
    }

    /// A recorded decision's input time, for replay's filters and report (the decision's own
    /// time is later): known while the input is in the window.
    @Test func theTimeOfAnInputInTheWindow() {
        var inputs = UndecidedInputs(limit: 10)
        for seq: Seq in [2, 3, 5, 8] { inputs.append(input(seq)) }
        #expect(inputs.time(of: 5) == 5_000 && inputs.time(of: 2) == 2_000)
        #expect(inputs.time(of: 4) == nil && inputs.time(of: 9) == nil)
        inputs.decided(through: 3)
        #expect(inputs.time(of: 3) == nil && inputs.time(of: 8) == 8_000)
    }

    @Test func pastTheLimitTheOldestGoAndTheLastDroppedIsNamed() {
        var inputs = UndecidedInputs(limit: 3)
        for seq: Seq in 1...5 { inputs.append(input(seq)) }
        #expect(seqs(inputs) == [3, 4, 5])
        #expect(inputs.droppedThrough == 2)
    }

    @Test func matchesAPlainArrayOverManyOperations() {
        var generator = SeededGenerator(state: 7)
        for limit in [1, 5, 70, 300] {
            var inputs = UndecidedInputs(limit: limit)
            var model: [Seq] = []
            var dropped: Seq = 0
            var next: Seq = 1
            for _ in 0..<5_000 {
                if generator.next() % 3 != 0 {
                    next += 1 + generator.next() % 3
                    if model.count == limit { dropped = model.removeFirst() }
                    model.append(next)
                    inputs.append(input(next))
                } else {
                    let through = next - min(next, generator.next() % 20)
                    model.removeAll { $0 <= through }
                    inputs.decided(through: through)
                }
                #expect(seqs(inputs) == model)
                #expect(inputs.droppedThrough == dropped)
                let from = next - min(next, generator.next() % 30)
                #expect(seqs(inputs, from: from) == model.filter { $0 >= from })
            }
        }
    }
}
