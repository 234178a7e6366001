import Foundation

/// Remembers a pure function's answers for recent texts. Support traffic repeats itself — "hi",
/// "thanks", the value of a button — and replay meets each of those texts again, so the
/// classifier and the entity extractor answer a text they have seen without working it out again.
///
/// Bounded: once `capacity` texts are held, it starts over (simple, and the answers do not depend
/// on it: a miss computes the same value). Only texts of up to `longestText` UTF-8 bytes are
/// remembered — the ones that repeat are short — so a flood of long messages cannot fill memory.
/// Safe to share between threads.
///
/// Keyed by the text's bytes, not by `String` equality: Swift calls "São" and "Sa\u{303}o"
/// (composed and decomposed) equal, but a regular expression may match one and not the other, so
/// the answer for one form is not the other's.
final class TextMemo<Value: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var values: [[UInt8]: Value] = [:]
    private let capacity: Int
    private let longestText: Int

    init(capacity: Int = 4_096, longestText: Int = 1_024) {
        self.capacity = capacity
        self.longestText = longestText
    }

    /// The remembered answer for `text`, or `compute(text)` (remembered for next time).
    func value(for text: String, compute: (String) -> Value) -> Value {
        guard text.utf8.count <= longestText else { return compute(text) }
        let key = Array(text.utf8)
        if let known = lock.withLock({ values[key] }) { return known }
        let value = compute(text)
        lock.withLock {
            if values.count >= capacity { values.removeAll(keepingCapacity: true) }
            values[key] = value
        }
        return value
    }

    var count: Int { lock.withLock { values.count } }
}
