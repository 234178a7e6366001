/// A cheap byte scan that finds how deeply arrays and objects nest in a JSON text.
///
/// Foundation's JSON parser and `Decodable` recurse once per nesting level, so a body such as
/// ten thousand `[` can exhaust a thread's stack before any limit inside the decoder applies.
/// Scanning first keeps the recursion bounded whatever the input. The scan does not validate
/// JSON; it only counts brackets outside string literals.
enum JSONNestingScanner {
    /// Returns `true` if no array or object in `bytes` nests deeper than `limit`.
    static func isWithin(limit: Int, _ bytes: some Collection<UInt8>) -> Bool {
        var depth = 0
        var inString = false
        var escaped = false
        for byte in bytes {
            if inString {
                if escaped {
                    escaped = false
                } else if byte == UInt8(ascii: "\\") {
                    escaped = true
                } else if byte == UInt8(ascii: "\"") {
                    inString = false
                }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""):
                inString = true
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                depth += 1
                if depth > limit { return false }
            case UInt8(ascii: "]"), UInt8(ascii: "}"):
                depth -= 1
            default:
                break
            }
        }
        return true
    }
}
