import Foundation

/// Decodes frames on several threads while keeping their order: one thread walks the files
/// (structure, CRC) and hands frames out; decoder threads inflate and decode them; the reader
/// takes the decoded frames back in seq order. At most `window` frames are in flight, so
/// memory stays bounded whatever the ledger size.
///
/// Used by ``LedgerCursor`` for long sequential reads (export, replay, benchmarks): inflate is
/// the cost of reading, and this spreads it over the machine's cores.
final class FramePipeline: @unchecked Sendable {
    // Every mutable property is guarded by `condition`; `iterator` is confined to the walker thread.
    private let condition = NSCondition()
    private var work: [(Int, Frame)] = []
    private var results: [Int: Result<[LedgerEvent], Error>] = [:]
    private var produced = 0
    private var consumed = 0
    private var walkerDone = false
    private var walkerError: Error?
    private var stopped = false
    private let window: Int
    private var tornValue: TornTail?

    init(iterator: FrameIterator, decoders: Int, window: Int) throws {
        self.window = max(window, decoders * 2)
        let inflaters = try (0..<max(1, decoders)).map { _ in try Inflater() }
        nonisolated(unsafe) let walkerIterator = iterator // handed to the walker thread, never touched here again
        Thread { [self] in walk(walkerIterator) }.start()
        for i in inflaters.indices {
            nonisolated(unsafe) let inflater = inflaters[i] // each decoder thread owns one
            Thread { [self] in decode(inflater) }.start()
        }
    }

    /// Stops the threads (they finish their current frame and exit).
    func stop() {
        condition.lock()
        stopped = true
        condition.broadcast()
        condition.unlock()
    }

    var tornTail: TornTail? {
        condition.lock()
        defer { condition.unlock() }
        return tornValue
    }

    /// The next frame's events in order; nil at the end. Throws the walker's or a decoder's error
    /// at the position where it happened.
    func next() throws -> [LedgerEvent]? {
        condition.lock()
        defer { condition.unlock() }
        while true {
            if let result = results.removeValue(forKey: consumed) {
                consumed += 1
                condition.broadcast()
                return try result.get()
            }
            if walkerDone && consumed == produced {
                if let walkerError { throw walkerError }
                return nil
            }
            condition.wait()
        }
    }

    private func walk(_ iterator: FrameIterator) {
        while true {
            condition.lock()
            while !stopped && produced - consumed >= window { condition.wait() }
            if stopped { walkerDone = true; condition.broadcast(); condition.unlock(); return }
            condition.unlock()
            let frame: Frame?
            do {
                frame = try iterator.next()
            } catch {
                condition.lock()
                walkerError = error
                walkerDone = true
                condition.broadcast()
                condition.unlock()
                return
            }
            condition.lock()
            if let frame {
                work.append((produced, frame))
                produced += 1
            } else {
                tornValue = iterator.torn
                walkerDone = true
            }
            condition.broadcast()
            let done = walkerDone
            condition.unlock()
            if done { return }
        }
    }

    private func decode(_ inflater: Inflater) {
        while true {
            condition.lock()
            while work.isEmpty && !stopped && !walkerDone { condition.wait() }
            if work.isEmpty || stopped {
                condition.unlock()
                return
            }
            let (index, frame) = work.removeFirst()
            condition.unlock()
            let result = Result { try frame.events(using: inflater) }
            condition.lock()
            results[index] = result
            condition.broadcast()
            condition.unlock()
        }
    }
}
