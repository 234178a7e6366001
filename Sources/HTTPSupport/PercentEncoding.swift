/// RFC 3986 percent-encoding, the one encoder for URL values (lookup URLs, `${VAR}` values in
/// them), AWS SigV4 and the scrubbing of encoded secrets: everything but the unreserved
/// characters `A-Z a-z 0-9 - _ . ~` becomes `%XX` (upper-case hex) per UTF-8 byte.
public enum PercentEncoding {
    public static func encode(_ text: String, keeping keep: (UInt8) -> Bool = isUnreserved) -> String {
        var result = ""
        result.reserveCapacity(text.utf8.count)
        for byte in text.utf8 {
            if keep(byte) {
                result.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                result += "%"
                result += String(byte, radix: 16, uppercase: true).zeroPadded(to: 2)
            }
        }
        return result
    }

    public static func isAlphanumeric(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"):
            true
        default:
            false
        }
    }

    public static func isUnreserved(_ byte: UInt8) -> Bool {
        isAlphanumeric(byte) || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "~")
    }

    /// `%2F` → `%2f`: the same encoding with lower-case hex digits.
    public static func lowercasingHex(_ encoded: String) -> String {
        var result = ""
        var hexLeft = 0
        for character in encoded {
            if character == "%" {
                hexLeft = 2
                result.append(character)
            } else if hexLeft > 0 {
                hexLeft -= 1
                result += character.lowercased()
            } else {
                result.append(character)
            }
        }
        return result
    }
}

extension String {
    /// `"7"` → `"07"` for width 2: digits padded with leading zeros (times, dates, hex bytes).
    public func zeroPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
