import Foundation

/// Folds text for matching: lowercase, accents removed ("Não" → "nao"), anything that is not a
/// letter or digit turned into a space, runs of spaces collapsed. English and Brazilian
/// Portuguese support messages differ mostly in accents and case, which this erases.
public enum TextNormalizer {
    public static func fold(_ text: String) -> String {
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
