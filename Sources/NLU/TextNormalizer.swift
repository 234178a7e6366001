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

    /// Word tokens of the folded text.
    public static func tokens(_ text: String) -> [String] {
        fold(text).split(separator: " ").map(String.init)
    }
}
