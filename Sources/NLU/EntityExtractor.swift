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
    /// For each entity (by name), its table's values by their first folded word, the longest
    /// first: a message is matched word by word against the few values starting there, not
    /// against the whole table (a 5,000-city table made a long message cost seconds).
    private let lookups: [(entity: String, byFirstWord: [String: [(folded: [String], value: String)]])]
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
            var byFirstWord: [String: [(folded: [String], value: String)]] = [:]
            for value in lookupTables[entity]! {
                let folded = TextNormalizer.tokens(value)
                if let first = folded.first { byFirstWord[first, default: []].append((folded, value)) }
            }
            for key in byFirstWord.keys { byFirstWord[key]!.sort { $0.folded.count > $1.folded.count } } // stable: table order among equals
            return (entity, byFirstWord)
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
        let offsets = lookups.isEmpty ? nil : TextNormalizer.wordOffsets(text)
        for (entity, byFirstWord) in lookups {
            for (start, word) in words.enumerated() {
                // The longest value starting at this word: "deluxe suite", not "deluxe" within it.
                guard let (folded, value) = byFirstWord[word]?.first(where: { start + $0.folded.count <= words.count && words[start..<start + $0.folded.count].elementsEqual($0.folded) })
                else { continue }
                found.append((offsets?[start] ?? 10_000_000 + start, ExtractedEntity(entity: entity, value: canonical(value), text: folded.joined(separator: " "), extractor: "lookup")))
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
