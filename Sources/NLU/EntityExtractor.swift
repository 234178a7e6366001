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
    /// entity → folded value → canonical value as written in the table
    private let lookups: [(entity: String, values: [(folded: [String], value: String)])]
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
            (entity, lookupTables[entity]!.map { (TextNormalizer.tokens($0), $0) }.filter { !$0.0.isEmpty })
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
        for (entity, values) in lookups {
            for (folded, value) in values where folded.count <= words.count {
                for start in 0...(words.count - folded.count) where Array(words[start..<start + folded.count]) == folded {
                    found.append((10_000_000 + start, ExtractedEntity(entity: entity, value: canonical(value), text: folded.joined(separator: " "), extractor: "lookup")))
                }
            }
        }
        var seen = Set<ExtractedEntity>()
        return found.sorted { $0.position != $1.position ? $0.position < $1.position : $0.entity.entity < $1.entity.entity }
            .map(\.entity).filter { seen.insert($0).inserted }
    }

    private func canonical(_ value: String) -> String { synonyms[TextNormalizer.fold(value)] ?? value }
}
