import Foundation
import Testing
@testable import NLU

struct TextMemoTests {
    final class Counter: @unchecked Sendable {
        private let lock = NSLock()
        private var calls: [String: Int] = [:]
        func count(_ text: String) -> Int { lock.withLock { calls[text, default: 0] += 1; return calls[text]! } }
        func calls(_ text: String) -> Int { lock.withLock { calls[text, default: 0] } }
    }

    @Test func aRememberedTextIsNotWorkedOutAgain() {
        let memo = TextMemo<String>(capacity: 8)
        let counter = Counter()
        let compute = { (text: String) -> String in _ = counter.count(text); return text.uppercased() }
        #expect(memo.value(for: "hi", compute: compute) == "HI")
        #expect(memo.value(for: "hi", compute: compute) == "HI")
        #expect(counter.calls("hi") == 1)
        #expect(memo.value(for: "Hi", compute: compute) == "HI")
        #expect(counter.calls("Hi") == 1, "texts are keys as written")
    }

    @Test func itNeverHoldsMoreThanItsCapacity() {
        let memo = TextMemo<Int>(capacity: 16)
        for index in 0..<1_000 {
            #expect(memo.value(for: "text \(index)") { $0.count } == "text \(index)".count)
            #expect(memo.count <= 16)
        }
    }

    @Test func concurrentCallersGetTheRightAnswers() async {
        let memo = TextMemo<Int>(capacity: 64)
        await withTaskGroup(of: Bool.self) { group in
            for task in 0..<8 {
                group.addTask {
                    (0..<2_000).allSatisfy { index in
                        let text = String(repeating: "x", count: (index * 7 + task) % 100)
                        return memo.value(for: text) { $0.count } == text.count
                    }
                }
            }
            for await correct in group { #expect(correct) }
        }
    }

    /// The classifier and the extractor answer a text the same the first time and after.
    @Test func rankingsAndEntitiesAreTheSameFromTheMemo() throws {
        let classifier = IntentClassifier(examples: supportExamples)
        let extractor = try EntityExtractor(patterns: [.init(entity: "order", pattern: "[A-Z]-\\d+")], lookupTables: ["city": ["São Paulo", "Rio"]])
        for text in ["where is my order A-10023", "oi", "I live in sao paulo", "", "asdf"] {
            let first = (classifier.rank(text), extractor.extract(text))
            let fresh = (IntentClassifier(examples: supportExamples).rank(text), try EntityExtractor(patterns: [.init(entity: "order", pattern: "[A-Z]-\\d+")], lookupTables: ["city": ["São Paulo", "Rio"]]).extract(text))
            #expect(classifier.rank(text) == first.0 && first.0 == fresh.0, "\(text)")
            #expect(extractor.extract(text) == first.1 && first.1 == fresh.1, "\(text)")
        }
    }
}
