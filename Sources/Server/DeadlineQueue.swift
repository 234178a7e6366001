import Foundation

/// Waits for work with a deadline, without stopping the work: ``first(of:)`` returns the work's
/// value, or nil once ``deadline`` has passed while the work goes on. One timer serves every
/// caller: it wakes every ``tick`` while anything waits. (A `Task.sleep` per call cost about 10 µs,
/// twice what the rest of waiting adds to a delivery.) Every caller waits the same ``deadline``,
/// so the callers queue in deadline order. Without a deadline, callers simply wait for the work.
final class DeadlineQueue<Value: Sendable>: @unchecked Sendable {
    let deadline: Duration?
    /// How late a deadline may be noticed.
    let tick: Duration
    // Guarded by `lock`: waiting callers in the order they came (so, deadline order: every caller
    // waits the same duration), `head` the first still queued, whether a timer task runs.
    private let lock = NSLock()
    private var waiting: [(deadline: ContinuousClock.Instant, answer: ResumeOnce<Value?>)] = []
    private var head = 0
    private var timerRunning = false

    init(deadline: Duration?, tick: Duration = .milliseconds(100)) {
        self.deadline = deadline
        self.tick = tick
    }

    /// `work`'s value if it comes within ``deadline``, else nil; `work` runs to its end either way.
    func first(of work: @escaping @Sendable () async -> Value) async -> Value? {
        guard let deadline else { return await work() }
        return await withCheckedContinuation { continuation in
            let answer = ResumeOnce<Value?>(continuation)
            enqueue(answer, deadline: deadline)
            Task { answer.resume(await work()) }
        }
    }

    private func enqueue(_ answer: ResumeOnce<Value?>, deadline: Duration) {
        lock.lock()
        waiting.append((ContinuousClock.now + deadline, answer)) // read under the lock: the queue stays in deadline order
        let startTimer = !timerRunning
        timerRunning = true
        lock.unlock()
        if startTimer { Task { await self.runTimer() } }
    }

    /// Answers nil to every caller whose deadline has passed, every tick, until none waits.
    private func runTimer() async {
        while true {
            try? await Task.sleep(for: tick)
            let (expired, done) = takeExpired(at: ContinuousClock.now)
            for answer in expired { answer.resume(nil) } // a no-op for work that finished in time
            if done { return }
        }
    }

    /// The callers whose deadline has passed, and whether none waits any more (the timer stops).
    private func takeExpired(at now: ContinuousClock.Instant) -> ([ResumeOnce<Value?>], done: Bool) {
        lock.lock()
        defer { lock.unlock() }
        var expired: [ResumeOnce<Value?>] = []
        while head < waiting.count, waiting[head].deadline <= now {
            expired.append(waiting[head].answer)
            head += 1
        }
        if head == waiting.count {
            waiting.removeAll(keepingCapacity: true)
            head = 0
            timerRunning = false
            return (expired, true)
        }
        if head > 1024, head * 2 > waiting.count {
            waiting.removeFirst(head)
            head = 0
        }
        return (expired, false)
    }
}

/// Resumes a continuation with the first value offered; later ones are dropped.
final class ResumeOnce<Value: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var continuation: CheckedContinuation<Value, Never>?

    init(_ continuation: CheckedContinuation<Value, Never>) { self.continuation = continuation }

    func resume(_ value: Value) {
        lock.lock()
        let pending = continuation
        continuation = nil
        lock.unlock()
        pending?.resume(returning: value)
    }
}
