/// Reads one JSON document front to back, value by value, validating what it reads: for formats
/// whose shape the reader knows in advance (a record written as a positional array), where
/// finding members by name would cost more than reading them.
///
/// Every read returns nil — and leaves the reader failed, so every later read returns nil too —
/// when the next value is not what the caller asked for, is not valid JSON, or is not separated
/// from the one before as JSON requires. ``finish()`` succeeds only when exactly one complete
/// value was read, so a document that reads to the end is valid JSON.
///
/// ```swift
/// var reader = JSONSequentialReader(bytes)             // [7,"web",null]
/// guard reader.open(.array), let id = reader.int64(), let channel = reader.string(),
///       let inbox = reader.optionalInt(), reader.close(.array), reader.finish() else { … }
/// ```
public struct JSONSequentialReader {
    public enum Container { case array, object }

    private enum Expect { case value, valueOrClose, key, keyOrClose, close, end }

    private var scanner: JSONScanner
    private var expect = Expect.value
    /// The open containers, innermost in the lowest bit set last: 1 for an object.
    private var objects: UInt64 = 0
    private var depth = 0
    public private(set) var failed = false

    /// Formats read this way are shallow; deeper documents are refused.
    public static let maximumDepth = 64

    public init(_ bytes: UnsafeRawBufferPointer) {
        scanner = JSONScanner(bytes)
        scanner.skipWhitespace()
    }

    private var inObject: Bool { depth > 0 && objects & (1 << UInt64(depth - 1)) != 0 }

    // MARK: Containers

    /// Reads `[` or `{` as the next value.
    public mutating func open(_ container: Container) -> Bool {
        guard begin(), depth < Self.maximumDepth,
              scanner.peek == (container == .array ? UInt8(ascii: "[") : UInt8(ascii: "{")) else { return fail() }
        scanner.position += 1
        scanner.skipWhitespace()
        if container == .object { objects |= 1 << UInt64(depth) } else { objects &= ~(1 << UInt64(depth)) }
        depth += 1
        expect = container == .array ? .valueOrClose : .keyOrClose
        return true
    }

    /// Reads `]` or `}` closing the innermost container: right after its open, or after a value.
    public mutating func close(_ container: Container) -> Bool {
        guard !failed, depth > 0, inObject == (container == .object),
              expect == .close || expect == (container == .array ? .valueOrClose : .keyOrClose),
              scanner.peek == (container == .array ? UInt8(ascii: "]") : UInt8(ascii: "}")) else { return fail() }
        scanner.position += 1
        depth -= 1
        return end()
    }

    /// In an object: the next member's key (unescaped), having read its `:`; nil at the object's
    /// `}`, which it reads (then ``failed`` tells a bad document from the end of the object).
    public mutating func nextKey() -> String? {
        guard !failed, inObject else { return failNil() }
        if scanner.peek == UInt8(ascii: "}") {
            _ = close(.object)
            return nil
        }
        guard expect == .key || expect == .keyOrClose, scanner.peek == UInt8(ascii: "\""),
              let key = try? scanner.readString() else { return failNil() }
        scanner.skipWhitespace()
        guard scanner.peek == UInt8(ascii: ":") else { return failNil() }
        scanner.position += 1
        scanner.skipWhitespace()
        expect = .value
        return key
    }

    /// In an array: true when another element follows (read it next); false at the array's `]`,
    /// which it reads (then ``failed`` tells a bad document from the end of the array).
    public mutating func nextElement() -> Bool {
        guard !failed, depth > 0, !inObject else { return fail() }
        if scanner.peek == UInt8(ascii: "]") {
            _ = close(.array)
            return false
        }
        return expect == .value || expect == .valueOrClose || fail()
    }

    // MARK: Values

    /// A string, or nil for anything else.
    public mutating func string() -> String? {
        guard begin(), scanner.peek == UInt8(ascii: "\""), let value = try? scanner.readString() else { return failNil() }
        _ = end()
        return value
    }

    /// A string or `null` (`.some(nil)`); nil for anything else.
    public mutating func optionalString() -> String?? {
        if readNull() { return .some(nil) }
        return string().map { .some($0) }
    }

    /// An integer (no fraction or exponent) that fits in 64 bits.
    public mutating func int64() -> Int64? {
        guard begin(), let first = scanner.peek, first == UInt8(ascii: "-") || (48...57).contains(first) else { return failNil() }
        let start = scanner.position
        guard (try? scanner.skipValue(depth: depth)) != nil,
              let value = JSONScanner.integer(in: scanner.bytes, at: start..<scanner.position) else { return failNil() }
        _ = end()
        return value
    }

    /// An integer or `null` (`.some(nil)`); nil for anything else.
    public mutating func optionalInt64() -> Int64?? {
        if readNull() { return .some(nil) }
        return int64().map { .some($0) }
    }

    /// An integer that fits in `Int`, or `null` (`.some(nil)`); nil for anything else.
    public mutating func optionalInt() -> Int?? {
        if readNull() { return .some(nil) }
        guard let value = int64(), let int = Int(exactly: value) else { return failNil() }
        return .some(int)
    }

    /// `true` or `false`.
    public mutating func bool() -> Bool? {
        guard begin() else { return nil }
        let value: Bool
        if scanner.readLiteral("true") {
            value = true
        } else if scanner.readLiteral("false") {
            value = false
        } else {
            return failNil()
        }
        _ = end()
        return value
    }

    /// Reads `null` when it comes next (true); otherwise reads nothing (false).
    public mutating func readNull() -> Bool {
        guard !failed, expect == .value || expect == .valueOrClose, scanner.readLiteral("null") else { return false }
        return end()
    }

    /// Skips one value of any kind, validating it.
    public mutating func skip() -> Bool {
        guard begin(), (try? scanner.skipValue(depth: depth)) != nil else { return fail() }
        return end()
    }

    /// True when the document was exactly one value, now read whole (trailing white space allowed).
    public mutating func finish() -> Bool {
        guard !failed, depth == 0, expect == .end, scanner.position == scanner.bytes.count else { return fail() }
        return true
    }

    // MARK: Separators

    /// Before a value: the reader must be expecting one.
    private mutating func begin() -> Bool {
        guard !failed, expect == .value || expect == .valueOrClose, scanner.position < scanner.bytes.count else { return fail() }
        return true
    }

    /// After a value: a `,` inside a container makes room for the next element or member.
    private mutating func end() -> Bool {
        scanner.skipWhitespace()
        guard depth > 0 else {
            expect = .end
            return true
        }
        if scanner.peek == UInt8(ascii: ",") {
            scanner.position += 1
            scanner.skipWhitespace()
            expect = inObject ? .key : .value
        } else {
            expect = .close
        }
        return true
    }

    private mutating func fail() -> Bool {
        failed = true
        return false
    }

    private mutating func failNil<T>() -> T? {
        failed = true
        return nil
    }
}
