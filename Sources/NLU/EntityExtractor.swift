import Foundation

/// An entity found in a message.
public struct ExtractedEntity: Sendable, Hashable {
    public var entity: String
    /// The canonical value (after synonyms).
    public var value: String
    /// The text as the customer wrote it.
    public var text: String
    /// How it was found: `regex`, `lookup`, or an external service's name.
    public var extractor: String

    public init(entity: String, value: String, text: String, extractor: String) {
        self.entity = entity
        self.value = value
        self.text = text
        self.extractor = extractor
    }
}

/// Finds entities the Rasa way: regular expressions (e.g. an order number), lookup tables
/// (known values, matched as whole words on folded text, so "São Paulo" matches "sao paulo"),
/// and synonyms that map variants to one canonical value. Deterministic: results come in the
/// order of their position in the message, then entity name.
public struct EntityExtractor: Sendable {
    public struct Pattern: Sendable {
        public var entity: String
        public var pattern: String
        public init(entity: String, pattern: String) {
            self.entity = entity
            self.pattern = pattern
        }
    }

    private let regexes: [(entity: String, regex: NSRegularExpression)]
    /// Extractions of recent texts (`extract` is a pure function of the text).
    private let extractions = TextMemo<[ExtractedEntity]>()
    /// For each entity (by name), its table's values as a trie of folded words: a message is
    /// matched with one walk from each word, as deep as it matches, however large the table and
    /// however many values share their first words (a 5,000-city table made a long message cost
    /// seconds).
    private let lookups: [(entity: String, values: WordTrie)]
    private let synonyms: [String: String]

    /// - Throws: the first invalid regular expression, naming its entity.
    public init(patterns: [Pattern] = [], lookupTables: [String: [String]] = [:], synonyms: [String: [String]] = [:]) throws {
        regexes = try patterns.map { pattern in
            do {
                return (pattern.entity, try NSRegularExpression(pattern: pattern.pattern, options: [.caseInsensitive]))
            } catch {
                throw InvalidPattern(entity: pattern.entity, pattern: pattern.pattern)
            }
        }
        lookups = lookupTables.keys.sorted().map { entity in
            let trie = WordTrie()
            for value in lookupTables[entity]! { trie.insert(TextNormalizer.tokens(value), value: value) }
            return (entity, trie)
        }
        var map: [String: String] = [:]
        for canonical in synonyms.keys.sorted() {
            for variant in synonyms[canonical]! { map[TextNormalizer.fold(variant)] = canonical }
        }
        self.synonyms = map
    }

    public struct InvalidPattern: Error, CustomStringConvertible, Sendable {
        public var entity: String
        public var pattern: String
        public var description: String { "invalid regular expression for entity \(entity): \(pattern)" }
    }

    /// The most entities one message yields: the first ones it names. A message listing
    /// thousands of order numbers must not make the reactor's work, or the decision recording
    /// them, grow with it.
    public static let limit = 32

    /// The entities of `text` in the order it names them (at most ``limit``).
    public func extract(_ text: String) -> [ExtractedEntity] {
        extractions.value(for: text, compute: computeExtraction)
    }

    private func computeExtraction(_ text: String) -> [ExtractedEntity] {
        var found: [(position: Int, entity: ExtractedEntity)] = []
        let range = NSRange(text.startIndex..., in: text)
        for (entity, regex) in regexes {
            for match in regex.matches(in: text, range: range) {
                guard let matched = Range(match.range, in: text) else { continue }
                let raw = String(text[matched])
                found.append((match.range.location, ExtractedEntity(entity: entity, value: canonical(raw), text: raw, extractor: "regex")))
            }
        }
        let words = TextNormalizer.tokens(text)
        // A lookup value is placed where its first word is in the message, among the regular
        // expressions' matches; after all of them only when the words' places are unknown.
        let offsets = lookups.isEmpty ? nil : TextNormalizer.wordOffsets(text, wordCount: words.count)
        for (entity, values) in lookups {
            for start in words.indices {
                // The longest value starting at this word: "deluxe suite", not "deluxe" within it.
                guard let (count, value) = values.longestMatch(in: words, from: start) else { continue }
                let text = words[start..<start + count].joined(separator: " ")
                found.append((offsets?[start] ?? 10_000_000 + start, ExtractedEntity(entity: entity, value: canonical(value), text: text, extractor: "lookup")))
            }
        }
        var seen = Set<ExtractedEntity>()
        var entities: [ExtractedEntity] = []
        for (_, entity) in found.sorted(by: { $0.position != $1.position ? $0.position < $1.position : $0.entity.entity < $1.entity.entity }) {
            guard entities.count < Self.limit else { break }
            if seen.insert(entity).inserted { entities.append(entity) }
        }
        return entities
    }

    private func canonical(_ value: String) -> String { synonyms[TextNormalizer.fold(value)] ?? value }
}

/// A lookup table's values by their folded words, one level a word.
final class WordTrie: @unchecked Sendable { // built in `EntityExtractor.init`, never changed after
    private var children: [String: WordTrie] = [:]
    /// The table's value that ends here (the first in the table, for values that fold alike).
    private var value: String?

    func insert(_ words: [String], value: String) {
        guard !words.isEmpty else { return }
        var node = self
        for word in words {
            if let next = node.children[word] {
                node = next
            } else {
                let next = WordTrie()
                node.children[word] = next
                node = next
            }
        }
        if node.value == nil { node.value = value }
    }

    /// The longest value whose words start at `words[start]`: how many words it takes, and the value.
    func longestMatch(in words: [String], from start: Int) -> (count: Int, value: String)? {
        var node = self
        var best: (count: Int, value: String)?
        var index = start
        while index < words.count, let next = node.children[words[index]] {
            node = next
            index += 1
            if let value = node.value { best = (index - start, value) }
        }
        return best
    }
}
