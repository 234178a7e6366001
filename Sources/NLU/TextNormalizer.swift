import Foundation

/// Folds text for matching: lowercase, accents removed ("Não" → "nao"), anything that is not a
/// letter or digit turned into a space, runs of spaces collapsed. English and Brazilian
/// Portuguese support messages differ mostly in accents and case, which this erases.
public enum TextNormalizer {
    public static func fold(_ text: String) -> String {
        asciiFold(text) ?? unicodeFold(text)
    }

    /// The same for text that is all ASCII (most messages), without Unicode tables: letters are
    /// the only alphabetic ASCII characters and nothing in ASCII decomposes. nil otherwise.
    static func asciiFold(_ text: String) -> String? {
        var text = text
        return text.withUTF8 { bytes -> String? in
            var out: [UInt8] = []
            out.reserveCapacity(bytes.count)
            var lastWasSpace = true
            for byte in bytes {
                switch byte {
                case 0x80...: return nil
                case UInt8(ascii: "A")...UInt8(ascii: "Z"):
                    out.append(byte | 0x20)
                    lastWasSpace = false
                case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                    out.append(byte)
                    lastWasSpace = false
                default:
                    if !lastWasSpace { out.append(UInt8(ascii: " ")) }
                    lastWasSpace = true
                }
            }
            if out.last == UInt8(ascii: " ") { out.removeLast() }
            return String(decoding: out, as: UTF8.self)
        }
    }

    static func unicodeFold(_ text: String) -> String {
        let decomposed = text.lowercased().decomposedStringWithCanonicalMapping
        var out = ""
        out.reserveCapacity(decomposed.unicodeScalars.count)
        var lastWasSpace = true
        for scalar in decomposed.unicodeScalars {
            if scalar.properties.generalCategory == .nonspacingMark { continue } // the accent of a decomposed letter
            if scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) {
                out.unicodeScalars.append(scalar)
                lastWasSpace = false
            } else if !lastWasSpace {
                out.append(" ")
                lastWasSpace = true
            }
        }
        if out.hasSuffix(" ") { out.removeLast() }
        return out
    }

    /// Whether `text` contains `phrase`, as Foundation's `contains` answers it. When both are
    /// printable ASCII (every character one byte, no CR LF pair, so Foundation's comparison is the
    /// literal one) the bytes are searched directly; Foundation's Unicode-aware search is kept
    /// otherwise, so recorded decisions replay unchanged.
    public static func contains(_ text: String, phrase: String) -> Bool {
        var text = text, phrase = phrase
        let ascii = text.withUTF8 { haystack in
            phrase.withUTF8 { needle -> Bool? in
                guard isPrintableASCII(haystack), isPrintableASCII(needle) else { return nil }
                guard let first = needle.first else { return nil }
                guard needle.count <= haystack.count else { return false }
                for start in 0...(haystack.count - needle.count) where haystack[start] == first {
                    if memcmp(haystack.baseAddress! + start, needle.baseAddress!, needle.count) == 0 { return true }
                }
                return false
            }
        }
        return ascii ?? text.contains(phrase)
    }

    /// Whether folded `text` contains folded `phrase` as whole words: "talk to a person" is not
    /// in "talk to a personal shopper". Both must be folded (words apart by single spaces).
    public static func containsWords(_ text: String, phrase: String) -> Bool {
        guard !phrase.isEmpty else { return false }
        var text = text, phrase = phrase
        return text.withUTF8 { haystack in
            phrase.withUTF8 { needle in
                guard needle.count <= haystack.count else { return false }
                var start = 0
                while start + needle.count <= haystack.count {
                    if (start == 0 || haystack[start - 1] == UInt8(ascii: " "))
                        && (start + needle.count == haystack.count || haystack[start + needle.count] == UInt8(ascii: " "))
                        && memcmp(haystack.baseAddress! + start, needle.baseAddress!, needle.count) == 0 {
                        return true
                    }
                    // On to the next word.
                    guard let space = haystack[start...].firstIndex(of: UInt8(ascii: " ")) else { return false }
                    start = space + 1
                }
                return false
            }
        }
    }

    /// Whether `text` is nothing but `CharacterSet.whitespaces` (what trimming them would leave
    /// empty), without Foundation for the usual case of a message starting with a letter.
    public static func isBlank(_ text: String) -> Bool {
        for scalar in text.unicodeScalars where scalar != " " && scalar != "\t" {
            if scalar.isASCII || !CharacterSet.whitespaces.contains(scalar) { return false }
        }
        return true
    }

    /// `text.trimmingCharacters(in: .whitespacesAndNewlines)`, without Foundation when both ends
    /// are printable ASCII other than a space: then there is nothing to trim (the usual case).
    public static func trimmed(_ text: String) -> String {
        var copy = text
        let nothingToTrim = copy.withUTF8 { bytes in
            guard let first = bytes.first, let last = bytes.last else { return false }
            return (0x21...0x7E).contains(first) && (0x21...0x7E).contains(last)
        }
        return nothingToTrim ? text : text.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    private static func isPrintableASCII(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool { !bytes.contains { $0 >= 0x7F || $0 < 0x20 } }

    /// Where each word token of `fold(text)` starts in `text`, as a UTF-16 offset (the unit of
    /// `NSRange`, so a regular expression's matches and the words can be put in one order). nil
    /// when the words found here are not exactly the folded text's (a character that folds to
    /// several words): the caller then has no offsets.
    /// - Parameter wordCount: the number of ``tokens(_:)`` of `text`, which the caller has.
    public static func wordOffsets(_ text: String, wordCount: Int) -> [Int]? {
        var offsets: [Int] = []
        var offset = 0
        var inWord = false
        // Scalar by scalar, as `unicodeFold` reads the lowercased, decomposed text: a letter or
        // digit is in a word, a nonspacing mark changes nothing, anything else ends the word.
        for scalar in text.unicodeScalars {
            let folded = scalar.isASCII ? [scalar] : Array(String(scalar).lowercased().decomposedStringWithCanonicalMapping.unicodeScalars)
            for part in folded where part.properties.generalCategory != .nonspacingMark {
                let isWord = part.properties.isAlphabetic || ("0"..."9").contains(part)
                if isWord, !inWord { offsets.append(offset) }
                inWord = isWord
            }
            offset += scalar.utf16.count
        }
        return offsets.count == wordCount ? offsets : nil
    }

    /// Word tokens of the folded text.
    public static func tokens(_ text: String) -> [String] {
        fold(text).split(separator: " ").map(String.init)
    }
}
