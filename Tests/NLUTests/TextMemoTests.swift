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

    /// Composed and decomposed forms are equal Swift strings but different texts to a regular
    /// expression: each gets its own answer, whichever the process met first.
    @Test func canonicallyEqualTextsAreRememberedApart() throws {
        let composed = "São Paulo", decomposed = "Sa\u{303}o Paulo"
        #expect(composed == decomposed && composed.utf8.count != decomposed.utf8.count)
        let memo = TextMemo<Int>()
        #expect(memo.value(for: composed) { $0.utf8.count } == composed.utf8.count)
        #expect(memo.value(for: decomposed) { $0.utf8.count } == decomposed.utf8.count)
        let pattern = EntityExtractor.Pattern(entity: "city", pattern: "S[ãa]o Paulo")
        let warmed = try EntityExtractor(patterns: [pattern])
        #expect(warmed.extract(composed).map(\.value) == ["São Paulo"])
        #expect(warmed.extract(decomposed) == (try EntityExtractor(patterns: [pattern]).extract(decomposed)))
    }

    /// Long texts are worked out each time: 4,096 of them at 1 MB each would otherwise be held.
    @Test func longTextsAreNotRemembered() {
        let memo = TextMemo<Int>(capacity: 16, longestText: 64)
        let counter = Counter()
        let long = String(repeating: "a", count: 65)
        for _ in 0..<3 { #expect(memo.value(for: long) { counter.count($0) } >= 1) }
        #expect(counter.calls(long) == 3 && memo.count == 0)
        #expect(memo.value(for: String(long.dropLast())) { $0.count } == 64)
        #expect(memo.count == 1)
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
