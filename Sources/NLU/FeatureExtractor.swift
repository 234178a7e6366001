/// Turns text into sparse features: word unigrams, word bigrams and character 3–5-grams of each
/// padded word (so "rastrear"/"rastreio" and typos still share features). Weighted TF-IDF with
/// L2 normalisation; the vocabulary is built from training data in sorted order, so the same
/// examples always give the same feature ids.
struct FeatureExtractor: Sendable {
    private(set) var vocabulary: [String: Int] = [:]
    private(set) var idf: [Double] = []

    static func terms(_ text: String) -> [String] {
        let words = TextNormalizer.tokens(text)
        var terms: [String] = []
        for (i, word) in words.enumerated() {
            terms.append("w:" + word)
            if i + 1 < words.count { terms.append("b:" + word + " " + words[i + 1]) }
            forEachCharacterGram(of: word) { terms.append($0) }
        }
        return terms
    }

    /// Calls `body` with the term (`c:` + gram) of every character 3-, 4- and 5-gram of the word
    /// padded with a space on each side, in order of size, then position.
    static func forEachCharacterGram(of word: String, _ body: (String) -> Void) {
        let bytes = Array(word.utf8)
        guard bytes.allSatisfy({ $0 < 0x80 }) else {
            // Not ASCII: grams of characters, not bytes.
            let padded = Array(" " + word + " ")
            for n in 3...5 where padded.count >= n {
                for start in 0...(padded.count - n) { body("c:" + String(padded[start..<start + n])) }
            }
            return
        }
        // ASCII (most words): one byte per character, so the grams are byte slices.
        let padded = [UInt8(ascii: " ")] + bytes + [UInt8(ascii: " ")]
        for n in 3...5 where padded.count >= n {
            for start in 0...(padded.count - n) {
                body(String(unsafeUninitializedCapacity: n + 2) { buffer in
                    buffer[0] = UInt8(ascii: "c")
                    buffer[1] = UInt8(ascii: ":")
                    for offset in 0..<n { buffer[2 + offset] = padded[start + offset] }
                    return n + 2
                })
            }
        }
    }

    init(training texts: [String]) {
        var documentFrequency: [String: Int] = [:]
        for text in texts {
            for term in Set(Self.terms(text)) { documentFrequency[term, default: 0] += 1 }
        }
        for (id, term) in documentFrequency.keys.sorted().enumerated() { vocabulary[term] = id }
        idf = [Double](repeating: 0, count: vocabulary.count)
        let count = Double(texts.count)
        for (term, frequency) in documentFrequency {
            idf[vocabulary[term]!] = 1 + log((1 + count) / (1 + Double(frequency))) // smoothed, as scikit-learn's
        }
    }

    /// The share (0…1) of the text's words the model knows: the word itself was seen in training,
    /// or at least half of its character n-grams were (a typo or an inflection of a known word).
    /// Text of unknown words gets a low value however its n-grams happen to score.
    func coverage(_ text: String) -> Double {
        let words = TextNormalizer.tokens(text)
        guard !words.isEmpty else { return 0 }
        var known = 0
        for word in words {
            if vocabulary["w:" + word] != nil {
                known += 1
                continue
            }
            var grams = 0, seen = 0
            Self.forEachCharacterGram(of: word) { term in
                grams += 1
                if vocabulary[term] != nil { seen += 1 }
            }
            if grams > 0 && seen * 2 >= grams { known += 1 }
        }
        return Double(known) / Double(words.count)
    }

    /// Sparse (feature id, weight) pairs, sorted by id, L2-normalised. Unknown terms are dropped.
    func vector(_ text: String) -> [(Int, Double)] {
        var counts: [Int: Double] = [:]
        for term in Self.terms(text) {
            if let id = vocabulary[term] { counts[id, default: 0] += 1 }
        }
        var features = counts.map { ($0.key, (1 + log($0.value)) * idf[$0.key]) }.sorted { $0.0 < $1.0 }
        let norm = features.reduce(0) { $0 + $1.1 * $1.1 }.squareRoot()
        if norm > 0 { features = features.map { ($0.0, $0.1 / norm) } }
        return features
    }
}

#if canImport(Glibc)
import Glibc
#endif
