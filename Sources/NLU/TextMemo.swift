import Foundation

/// Remembers a pure function's answers for recent texts. Support traffic repeats itself — "hi",
/// "thanks", the value of a button — and replay meets each of those texts again, so the
/// classifier and the entity extractor answer a text they have seen without working it out again.
///
/// Bounded: once `capacity` texts are held, it starts over (simple, and the answers do not depend
/// on it: a miss computes the same value). Safe to share between threads.
final class TextMemo<Value: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var values: [String: Value] = [:]
    private let capacity: Int

    init(capacity: Int = 4_096) { self.capacity = capacity }

    /// The remembered answer for `text`, or `compute(text)` (remembered for next time).
    func value(for text: String, compute: (String) -> Value) -> Value {
        if let known = lock.withLock({ values[text] }) { return known }
        let value = compute(text)
        lock.withLock {
            if values.count >= capacity { values.removeAll(keepingCapacity: true) }
            values[text] = value
        }
        return value
    }

    var count: Int { lock.withLock { values.count } }
}
