/// A validating JSON scanner over raw bytes (RFC 8259) that finds values without building them.
///
/// Foundation's decoders build whole trees; the ledger only needs to know whether bytes are
/// JSON, where a member's value starts and ends, and a few scalar values. This does that in
/// one pass with no allocation per value, and bounds nesting depth so hostile input cannot
/// exhaust the stack.
public struct JSONScanner {
    public struct Error: Swift.Error, CustomStringConvertible, Sendable, Equatable {
        public enum Kind: Sendable, Equatable {
            case syntax
            case invalidUTF8
            case tooDeep
        }
        public var offset: Int
        public var reason: String
        public var kind: Kind = .syntax
        public var description: String { "invalid JSON at byte \(offset): \(reason)" }
    }

    /// Nesting deeper than this is rejected unless a call says otherwise.
    public static let maximumDepth = 512

    let bytes: UnsafeRawBufferPointer
    var position = 0
    private var depthLimit = JSONScanner.maximumDepth

    init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    // MARK: Public entry points

    /// Throws unless `bytes` is exactly one JSON value, optionally surrounded by white space,
    /// with arrays and objects nested at most `maximumDepth` deep.
    public static func validate(_ bytes: UnsafeRawBufferPointer, maximumDepth: Int = JSONScanner.maximumDepth) throws(Error) {
        var scanner = JSONScanner(bytes)
        scanner.depthLimit = maximumDepth
        scanner.skipWhitespace()
        try scanner.skipValue(depth: 0)
        scanner.skipWhitespace()
        guard scanner.position == bytes.count else { throw scanner.error("unexpected bytes after the value") }
    }

    public static func isValid(_ bytes: some Collection<UInt8>, maximumDepth: Int = JSONScanner.maximumDepth) -> Bool {
        let contiguous = bytes.withContiguousStorageIfAvailable { (try? validate(UnsafeRawBufferPointer($0), maximumDepth: maximumDepth)) != nil }
        return contiguous ?? Array(bytes).withUnsafeBytes { (try? validate($0, maximumDepth: maximumDepth)) != nil }
    }

    /// The members of a top-level object: each key (unescaped) with the byte range of its value.
    /// Validates the whole input.
    public static func members(of bytes: UnsafeRawBufferPointer) throws(Error) -> [(key: String, value: Range<Int>)] {
        var scanner = JSONScanner(bytes)
        scanner.skipWhitespace()
        guard scanner.peek == UInt8(ascii: "{") else { throw scanner.error("expected a JSON object") }
        scanner.position += 1
        var result: [(key: String, value: Range<Int>)] = []
        scanner.skipWhitespace()
        if scanner.peek == UInt8(ascii: "}") {
            scanner.position += 1
        } else {
            while true {
                scanner.skipWhitespace()
                let key = try scanner.readString()
                scanner.skipWhitespace()
                try scanner.expect(UInt8(ascii: ":"))
                scanner.skipWhitespace()
                let start = scanner.position
                try scanner.skipValue(depth: 1)
                result.append((key, start..<scanner.position))
                scanner.skipWhitespace()
                if scanner.peek == UInt8(ascii: ",") { scanner.position += 1; continue }
                try scanner.expect(UInt8(ascii: "}"))
                break
            }
        }
        scanner.skipWhitespace()
        guard scanner.position == bytes.count else { throw scanner.error("unexpected bytes after the object") }
        return result
    }

    /// The members of the object at `range` inside `bytes`, with value ranges relative to `bytes`.
    public static func members(in bytes: UnsafeRawBufferPointer, at range: Range<Int>) throws(Error) -> [(key: String, value: Range<Int>)] {
        let found = try members(of: UnsafeRawBufferPointer(rebasing: bytes[range]))
        return found.map { ($0.key, ($0.value.lowerBound + range.lowerBound)..<($0.value.upperBound + range.lowerBound)) }
    }

    /// The byte ranges of the elements of the array at `range` inside `bytes`.
    public static func elements(in bytes: UnsafeRawBufferPointer, at range: Range<Int>) throws(Error) -> [Range<Int>] {
        var scanner = JSONScanner(UnsafeRawBufferPointer(rebasing: bytes[..<range.upperBound]))
        scanner.position = range.lowerBound
        try scanner.expect(UInt8(ascii: "["))
        var result: [Range<Int>] = []
        scanner.skipWhitespace()
        if scanner.peek == UInt8(ascii: "]") { return result }
        while true {
            scanner.skipWhitespace()
            let start = scanner.position
            try scanner.skipValue(depth: 1)
            result.append(start..<scanner.position)
            scanner.skipWhitespace()
            if scanner.peek == UInt8(ascii: ",") { scanner.position += 1; continue }
            try scanner.expect(UInt8(ascii: "]"))
            return result
        }
    }

    // MARK: Already validated bytes

    /// The members of the object at `range`, which a validating call has already accepted (a
    /// value range that ``members(of:)`` returned, say): split without checking the grammar
    /// again, several times faster. Memory-safe on any input, but meaningful only on validated
    /// bytes; nil when `range` does not hold an object.
    public static func members(ofValidated bytes: UnsafeRawBufferPointer, at range: Range<Int>) -> [(key: String, value: Range<Int>)]? {
        var scanner = JSONScanner(UnsafeRawBufferPointer(rebasing: bytes[..<range.upperBound]))
        scanner.position = range.lowerBound
        guard scanner.peek == UInt8(ascii: "{") else { return nil }
        scanner.position += 1
        var result: [(key: String, value: Range<Int>)] = []
        while true {
            scanner.skipWhitespace()
            guard let c = scanner.peek, c != UInt8(ascii: "}") else { return result }
            guard c == UInt8(ascii: "\""), let key = try? scanner.readString() else { return nil }
            scanner.skipWhitespace()
            guard scanner.peek == UInt8(ascii: ":") else { return nil }
            scanner.position += 1
            scanner.skipWhitespace()
            let start = scanner.position
            scanner.skipValidatedValue()
            result.append((key, start..<scanner.position))
            scanner.skipWhitespace()
            if scanner.peek == UInt8(ascii: ",") { scanner.position += 1 }
        }
    }

    /// The elements of the array at `range`, which a validating call has already accepted: the
    /// first `limit` of them (the rest is not even looked at).
    public static func elements(ofValidated bytes: UnsafeRawBufferPointer, at range: Range<Int>, limit: Int = .max) -> [Range<Int>]? {
        var scanner = JSONScanner(UnsafeRawBufferPointer(rebasing: bytes[..<range.upperBound]))
        scanner.position = range.lowerBound
        guard scanner.peek == UInt8(ascii: "[") else { return nil }
        scanner.position += 1
        var result: [Range<Int>] = []
        while true {
            scanner.skipWhitespace()
            guard result.count < limit, let c = scanner.peek, c != UInt8(ascii: "]") else { return result }
            let start = scanner.position
            scanner.skipValidatedValue()
            guard scanner.position > start else { return nil }
            result.append(start..<scanner.position)
            scanner.skipWhitespace()
            if scanner.peek == UInt8(ascii: ",") { scanner.position += 1 }
        }
    }

    /// Decodes a JSON string value (with its quotes) at `range`.
    public static func string(in bytes: UnsafeRawBufferPointer, at range: Range<Int>) throws(Error) -> String {
        var scanner = JSONScanner(UnsafeRawBufferPointer(rebasing: bytes[..<range.upperBound]))
        scanner.position = range.lowerBound
        return try scanner.readString()
    }

    /// Decodes a JSON integer value at `range` (no fraction or exponent).
    public static func integer(in bytes: UnsafeRawBufferPointer, at range: Range<Int>) -> Int64? {
        var value: Int64 = 0
        var index = range.lowerBound
        let negative = index < range.upperBound && bytes[index] == UInt8(ascii: "-")
        if negative { index += 1 }
        guard index < range.upperBound else { return nil }
        while index < range.upperBound {
            let c = bytes[index]
            guard c >= 48 && c <= 57 else { return nil }
            let (m, o1) = value.multipliedReportingOverflow(by: 10)
            let (a, o2) = m.addingReportingOverflow(Int64(c - 48))
            guard !o1 && !o2 else { return nil }
            value = a
            index += 1
        }
        return negative ? -value : value
    }

    /// True when the bytes at `range` hold a backslash followed by `u` anywhere (a `\u` escape,
    /// or an escaped backslash before a `u`): readers that cannot be sure how such a string
    /// decodes leave it to `JSONDecoder`.
    public static func mayHoldUnicodeEscape(in bytes: UnsafeRawBufferPointer, at range: Range<Int>) -> Bool {
        guard range.count >= 2 else { return false }
        for index in range.lowerBound..<(range.upperBound - 1) where bytes[index] == UInt8(ascii: "\\") && bytes[index + 1] == UInt8(ascii: "u") {
            return true
        }
        return false
    }

    /// True when the value at `range` is the literal `null`.
    public static func isNull(in bytes: UnsafeRawBufferPointer, at range: Range<Int>) -> Bool {
        range.count == 4 && bytes[range.lowerBound] == UInt8(ascii: "n")
    }

    // MARK: Scanning

    var peek: UInt8? { position < bytes.count ? bytes[position] : nil }

    func error(_ reason: String, _ kind: Error.Kind = .syntax) -> Error { Error(offset: position, reason: reason, kind: kind) }

    mutating func expect(_ byte: UInt8) throws(Error) {
        guard peek == byte else { throw error("expected '\(Character(Unicode.Scalar(byte)))'") }
        position += 1
    }

    mutating func skipWhitespace() {
        while position < bytes.count {
            switch bytes[position] {
            case 0x20, 0x09, 0x0A, 0x0D: position += 1
            default: return
            }
        }
    }

    /// Skips one value. Iterative (an explicit stack of open containers), so no input can
    /// overflow the thread's stack whatever the depth limit.
    mutating func skipValue(depth startDepth: Int) throws(Error) {
        var open = ContainerStack()
        while true {
            // Expect a value here.
            guard let c = peek else { throw error("unexpected end of input") }
            switch c {
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                guard startDepth + open.count < depthLimit else { throw error("nesting deeper than \(depthLimit)", .tooDeep) }
                position += 1
                skipWhitespace()
                let isObject = c == UInt8(ascii: "{")
                if peek == (isObject ? UInt8(ascii: "}") : UInt8(ascii: "]")) {
                    position += 1
                } else {
                    open.push(isObject: isObject)
                    if isObject { try skipKeyAndColon() }
                    continue
                }
            case UInt8(ascii: "\""): try skipString()
            case UInt8(ascii: "t"): try skipLiteral("true")
            case UInt8(ascii: "f"): try skipLiteral("false")
            case UInt8(ascii: "n"): try skipLiteral("null")
            case UInt8(ascii: "-"), 48...57: try skipNumber()
            default: throw error("unexpected character")
            }
            // A value ended: close containers or move to the next element.
            while true {
                guard let inObject = open.top else { return }
                skipWhitespace()
                if peek == UInt8(ascii: ",") {
                    position += 1
                    skipWhitespace()
                    if inObject { try skipKeyAndColon() }
                    break
                }
                try expect(inObject ? UInt8(ascii: "}") : UInt8(ascii: "]"))
                open.pop()
            }
        }
    }

    /// Which containers are open, innermost last: a bit per level in a word, spilling to the heap
    /// only past 64 levels (real payloads never get there, so skipping allocates nothing).
    private struct ContainerStack {
        private var bits: UInt64 = 0
        private var spilled: [Bool] = []
        private(set) var count = 0

        var top: Bool? {
            guard count > 0 else { return nil }
            return count > 64 ? spilled[spilled.count - 1] : bits & (1 << UInt64(count - 1)) != 0
        }

        mutating func push(isObject: Bool) {
            if count >= 64 {
                spilled.append(isObject)
            } else if isObject {
                bits |= 1 << UInt64(count)
            } else {
                bits &= ~(1 << UInt64(count))
            }
            count += 1
        }

        mutating func pop() {
            if count > 64 { spilled.removeLast() }
            count -= 1
        }
    }

    /// Skips one value of validated bytes: strings by their quotes, containers by counting
    /// brackets outside strings, scalars up to the next delimiter. Stops at the end of the bytes.
    private mutating func skipValidatedValue() {
        guard position < bytes.count else { return }
        switch bytes[position] {
        case UInt8(ascii: "\""):
            skipValidatedString()
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            var depth = 0
            while position < bytes.count {
                switch bytes[position] {
                case UInt8(ascii: "\""):
                    skipValidatedString()
                    continue
                case UInt8(ascii: "{"), UInt8(ascii: "["):
                    depth += 1
                case UInt8(ascii: "}"), UInt8(ascii: "]"):
                    depth -= 1
                    if depth == 0 { position += 1; return }
                default:
                    break
                }
                position += 1
            }
        default:
            while position < bytes.count, !Self.endsScalar(bytes[position]) { position += 1 }
        }
    }

    // Eight bytes at once ("SWAR"): whether any byte of a word is zero, below 0x20, above 0x7F,
    // a quote or a backslash, from the classic bit tricks (exact: no false negatives).
    private static let ones: UInt64 = 0x0101_0101_0101_0101
    private static let highBits: UInt64 = 0x8080_8080_8080_8080

    private static func hasZeroByte(_ x: UInt64) -> Bool { (x &- ones) & ~x & highBits != 0 }

    private static func hasQuoteOrBackslash(_ x: UInt64) -> Bool {
        hasZeroByte(x ^ (ones &* UInt64(UInt8(ascii: "\"")))) || hasZeroByte(x ^ (ones &* UInt64(UInt8(ascii: "\\"))))
    }

    /// Whether a string may end, escape or need UTF-8 checking within these eight bytes.
    private static func mayEndString(_ x: UInt64) -> Bool {
        x & highBits != 0 || (x &- ones &* 0x20) & ~x & highBits != 0 || hasQuoteOrBackslash(x)
    }

    private static func endsScalar(_ c: UInt8) -> Bool {
        switch c {
        case UInt8(ascii: ","), UInt8(ascii: "}"), UInt8(ascii: "]"), 0x20, 0x09, 0x0A, 0x0D: return true
        default: return false
        }
    }

    private mutating func skipValidatedString() {
        position += 1
        let count = bytes.count
        while position + 8 <= count, !Self.hasQuoteOrBackslash(bytes.loadUnaligned(fromByteOffset: position, as: UInt64.self)) {
            position += 8
        }
        while position < count {
            let c = bytes[position]
            if c == UInt8(ascii: "\"") { position += 1; return }
            position += c == UInt8(ascii: "\\") ? 2 : 1
        }
        position = count
    }

    private mutating func skipKeyAndColon() throws(Error) {
        skipWhitespace()
        try skipString()
        skipWhitespace()
        try expect(UInt8(ascii: ":"))
        skipWhitespace()
    }

    private mutating func skipLiteral(_ literal: StaticString) throws(Error) {
        guard position + literal.utf8CodeUnitCount <= bytes.count else { throw error("unexpected end of input") }
        guard readLiteral(literal) else { throw error("invalid literal") }
    }

    /// Reads `literal` (`true`, `false`, `null`) when its bytes come next; otherwise reads nothing.
    mutating func readLiteral(_ literal: StaticString) -> Bool {
        let count = literal.utf8CodeUnitCount
        guard position + count <= bytes.count else { return false }
        for i in 0..<count where bytes[position + i] != literal.utf8Start[i] { return false }
        position += count
        return true
    }

    private mutating func skipDigits() -> Int {
        let start = position
        while let c = peek, c >= 48 && c <= 57 { position += 1 }
        return position - start
    }

    private mutating func skipNumber() throws(Error) {
        if peek == UInt8(ascii: "-") { position += 1 }
        guard let first = peek, first >= 48 && first <= 57 else { throw error("invalid number") }
        if first == 48 { position += 1 } else { _ = skipDigits() }
        if peek == UInt8(ascii: ".") {
            position += 1
            guard skipDigits() > 0 else { throw error("invalid number fraction") }
        }
        if peek == UInt8(ascii: "e") || peek == UInt8(ascii: "E") {
            position += 1
            if peek == UInt8(ascii: "+") || peek == UInt8(ascii: "-") { position += 1 }
            guard skipDigits() > 0 else { throw error("invalid number exponent") }
        }
    }

    /// Skips a string, checking escapes and UTF-8 well-formedness.
    mutating func skipString() throws(Error) {
        try expect(UInt8(ascii: "\""))
        while true {
            // The common case first: a run of plain printable ASCII, eight bytes at a time.
            while position + 8 <= bytes.count, !Self.mayEndString(bytes.loadUnaligned(fromByteOffset: position, as: UInt64.self)) {
                position += 8
            }
            while position < bytes.count {
                let c = bytes[position]
                guard c >= 0x20, c < 0x80, c != UInt8(ascii: "\""), c != UInt8(ascii: "\\") else { break }
                position += 1
            }
            guard let c = peek else { throw error("unterminated string") }
            switch c {
            case UInt8(ascii: "\""):
                position += 1
                return
            case UInt8(ascii: "\\"):
                position += 1
                guard let e = peek else { throw error("unterminated escape") }
                switch e {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
                     UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                    position += 1
                case UInt8(ascii: "u"):
                    position += 1
                    _ = try readHex4()
                default: throw error("invalid escape")
                }
            case 0..<0x20:
                throw error("control character in string")
            default:
                try skipUTF8Sequence()
            }
        }
    }

    private mutating func skipUTF8Sequence() throws(Error) {
        let c = bytes[position]
        let length: Int
        var minimum: UInt32
        var scalar: UInt32
        switch c {
        case 0xC2...0xDF: length = 2; scalar = UInt32(c & 0x1F); minimum = 0x80
        case 0xE0...0xEF: length = 3; scalar = UInt32(c & 0x0F); minimum = 0x800
        case 0xF0...0xF4: length = 4; scalar = UInt32(c & 0x07); minimum = 0x10000
        default: throw error("invalid UTF-8", .invalidUTF8)
        }
        guard position + length <= bytes.count else { throw error("truncated UTF-8", .invalidUTF8) }
        for i in 1..<length {
            let next = bytes[position + i]
            guard next & 0xC0 == 0x80 else { throw error("invalid UTF-8", .invalidUTF8) }
            scalar = scalar << 6 | UInt32(next & 0x3F)
        }
        guard scalar >= minimum, scalar <= 0x10FFFF, !(0xD800...0xDFFF).contains(scalar) else { throw error("invalid UTF-8", .invalidUTF8) }
        position += length
    }

    private mutating func readHex4() throws(Error) -> UInt32 {
        guard position + 4 <= bytes.count else { throw error("truncated \\u escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let c = bytes[position]
            let digit: UInt32
            switch c {
            case 48...57: digit = UInt32(c - 48)
            case 97...102: digit = UInt32(c - 87)
            case 65...70: digit = UInt32(c - 55)
            default: throw error("invalid \\u escape")
            }
            value = value << 4 | digit
            position += 1
        }
        return value
    }

    /// Reads and unescapes a string.
    mutating func readString() throws(Error) -> String {
        let start = position
        try skipString()
        let inner = UnsafeRawBufferPointer(rebasing: bytes[(start + 1)..<(position - 1)])
        if !inner.contains(UInt8(ascii: "\\")) { return String(decoding: inner, as: UTF8.self) }
        var out: [UInt8] = []
        out.reserveCapacity(inner.count)
        var sub = JSONScanner(inner)
        while sub.position < inner.count {
            let c = inner[sub.position]
            guard c == UInt8(ascii: "\\") else { out.append(c); sub.position += 1; continue }
            sub.position += 1
            let e = inner[sub.position]
            sub.position += 1
            switch e {
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = try sub.readHex4()
                if (0xD800...0xDBFF).contains(scalar), sub.position + 6 <= inner.count,
                   inner[sub.position] == UInt8(ascii: "\\"), inner[sub.position + 1] == UInt8(ascii: "u") {
                    sub.position += 2
                    let low = try sub.readHex4()
                    if (0xDC00...0xDFFF).contains(low) {
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    } else {
                        scalar = 0xFFFD
                        sub.position -= 6
                    }
                }
                let unicode = Unicode.Scalar(scalar) ?? "\u{FFFD}"
                out.append(contentsOf: Array(String(Character(unicode)).utf8))
            default: out.append(e)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
