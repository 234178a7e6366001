import Foundation

/// Encodes a value to exactly the bytes Foundation's `JSONEncoder` writes with
/// `outputFormatting = [.sortedKeys, .withoutEscapingSlashes]` — the ledger's canonical form for
/// decisions and effect results — several times faster.
///
/// Why: replay proves a re-derived decision identical by comparing its bytes with the recorded
/// ones, once per decision of the ledger, and `JSONEncoder` was a fifth of replay's time. Same
/// bytes, by the same rules: keys sorted by their UTF-8 bytes; strings escaped with `\"`, `\\`,
/// `\b`, `\f`, `\n`, `\r`, `\t` and `\u00xx` for other control characters, nothing else (not `/`);
/// a `Double` or `Float` as its Swift `description` without a trailing `.0`; a keyed value
/// encoded as `nil` written as `null`, an `encodeIfPresent` of `nil` left out; a value that
/// encodes nothing written as `{}`. `CanonicalJSONEncoderTests` compares the two encoders on
/// random keys, strings and numbers and on every decision of the golden ledgers.
///
/// Types that `JSONEncoder` treats specially (`Data`, `URL`, `Decimal`, `Date`) and non-finite
/// numbers throw ``Unsupported``: callers fall back to `JSONEncoder` for them.
/// A type can write itself directly by conforming to ``JSONWritable``.
public enum CanonicalJSONEncoder {
    public struct Unsupported: Error, CustomStringConvertible {
        public var description: String
    }

    public static func encode<T: Encodable>(_ value: T) throws -> [UInt8] {
        let node = try TreeEncoder.node(for: value, codingPath: [], topLevel: true)
        var out: [UInt8] = []
        out.reserveCapacity(1024) // a decision is ~900 bytes: one allocation, no regrowth
        node.write(to: &out)
        return out
    }

    /// Appends `key: value` pairs as one object, keys sorted as the encoder sorts them (for
    /// ``JSONWritable`` conformances).
    @inlinable
    public static func appendObject<Value>(_ members: [String: Value], to out: inout [UInt8],
                                           value write: (Value, inout [UInt8]) throws -> Void) rethrows {
        out.append(UInt8(ascii: "{"))
        // The positions are sorted, not copies of the members: no key or value is retained.
        let keys = members.keys
        var order = Array(keys.indices)
        order.sort { keyOrder(keys[$0], keys[$1]) }
        for (index, position) in order.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            let member = members[position]
            JSONWriter.appendString(member.key, to: &out)
            out.append(UInt8(ascii: ":"))
            try write(member.value, &out)
        }
        out.append(UInt8(ascii: "}"))
    }

    /// Appends `[a,b,…]`, each element written by `write`.
    @inlinable
    public static func appendArray<Element>(_ elements: [Element], to out: inout [UInt8],
                                            element write: (Element, inout [UInt8]) throws -> Void) rethrows {
        out.append(UInt8(ascii: "["))
        for (index, element) in elements.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            try write(element, &out)
        }
        out.append(UInt8(ascii: "]"))
    }

    /// Appends a number the way `JSONEncoder` writes it; throws for infinities and NaN.
    public static func appendNumber(_ value: Double, to out: inout [UInt8]) throws(Unsupported) {
        guard value.isFinite else { throw Unsupported(description: "non-finite number \(value)") }
        var text = value.description
        if text.hasSuffix(".0") { text.removeLast(2) }
        out.append(contentsOf: text.utf8)
    }

    /// UTF-8 byte order (`JSONEncoder`'s `.sortedKeys`), compared with `memcmp`.
    @inlinable
    static func keyOrder(_ a: String, _ b: String) -> Bool {
        var a = a, b = b
        return a.withUTF8 { x in
            b.withUTF8 { y in
                let common = min(x.count, y.count)
                let order = common == 0 ? 0 : memcmp(x.baseAddress!, y.baseAddress!, common)
                return order != 0 ? order < 0 : x.count < y.count
            }
        }
    }
}

/// Writes one JSON object member by member, for ``JSONWritable`` conformances of types with
/// fixed keys. The caller gives the keys in UTF-8 byte order — the order `.sortedKeys` writes —
/// and leaves out the absent optionals (what `encodeIfPresent` does); `CanonicalJSONEncoderTests`
/// holds each conformance to `JSONEncoder`'s bytes.
public struct JSONObjectWriter {
    @usableFromInline var members = 0

    /// Appends `{`.
    @inlinable
    public init(_ out: inout [UInt8]) { out.append(UInt8(ascii: "{")) }

    /// Appends the next member's `"key":` (a plain ASCII key, after the previous one in byte order).
    @inlinable
    public mutating func key(_ key: StaticString, _ out: inout [UInt8]) {
        if members > 0 { out.append(UInt8(ascii: ",")) }
        members += 1
        out.append(UInt8(ascii: "\""))
        out.append(contentsOf: UnsafeRawBufferPointer(start: key.utf8Start, count: key.utf8CodeUnitCount))
        out.append(UInt8(ascii: "\""))
        out.append(UInt8(ascii: ":"))
    }

    @inlinable
    public mutating func string(_ key: StaticString, _ value: String?, _ out: inout [UInt8]) {
        guard let value else { return }
        self.key(key, &out)
        JSONWriter.appendString(value, to: &out)
    }

    @inlinable
    public mutating func integer<Integer: BinaryInteger>(_ key: StaticString, _ value: Integer?, _ out: inout [UInt8]) {
        guard let value else { return }
        self.key(key, &out)
        out.append(contentsOf: String(value).utf8)
    }

    @inlinable
    public mutating func bool(_ key: StaticString, _ value: Bool?, _ out: inout [UInt8]) {
        guard let value else { return }
        self.key(key, &out)
        out.append(contentsOf: (value ? "true" : "false").utf8)
    }

    @inlinable
    public mutating func value(_ key: StaticString, _ value: (some JSONWritable)?, _ out: inout [UInt8]) throws {
        guard let value else { return }
        self.key(key, &out)
        try value.writeJSON(to: &out)
    }

    /// A value of a type without its own writer, through ``CanonicalJSONEncoder``.
    @inlinable
    public mutating func encoded(_ key: StaticString, _ value: (some Encodable)?, _ out: inout [UInt8]) throws {
        guard let value else { return }
        self.key(key, &out)
        out.append(contentsOf: try CanonicalJSONEncoder.encode(value))
    }

    /// Appends `}`.
    @inlinable
    public func close(_ out: inout [UInt8]) { out.append(UInt8(ascii: "}")) }
}

/// A type that writes its own canonical JSON (the bytes ``CanonicalJSONEncoder`` would write
/// through its `Encodable` conformance), skipping the `Encoder` protocol's dispatch.
public protocol JSONWritable {
    func writeJSON(to out: inout [UInt8]) throws
}

// MARK: - The tree

/// What a value encoded to, written out once encoding is done (keys are sorted then).
private enum Node {
    case null
    case bool(Bool)
    case int(Int64)
    case uint(UInt64)
    case double(Double)
    case float(Float)
    case string(String)
    case raw([UInt8])
    case object(ObjectNode)
    case array(ArrayNode)
    /// A nested encoder's value, read when writing (its containers may still be filled after
    /// it is stored, as with `superEncoder()`).
    case deferred(TreeEncoder)

    func write(to out: inout [UInt8]) {
        switch self {
        case .null: out.append(contentsOf: "null".utf8)
        case .bool(let value): out.append(contentsOf: (value ? "true" : "false").utf8)
        case .int(let value): out.append(contentsOf: String(value).utf8)
        case .uint(let value): out.append(contentsOf: String(value).utf8)
        case .double(let value): try? CanonicalJSONEncoder.appendNumber(value, to: &out) // finite: checked on encoding
        case .float(let value):
            var text = value.description
            if text.hasSuffix(".0") { text.removeLast(2) }
            out.append(contentsOf: text.utf8)
        case .string(let value): JSONWriter.appendString(value, to: &out)
        case .raw(let bytes): out.append(contentsOf: bytes)
        case .object(let object):
            object.write(to: &out)
        case .array(let array):
            CanonicalJSONEncoder.appendArray(array.elements, to: &out) { node, out in node.write(to: &out) }
        case .deferred(let encoder):
            encoder.value.write(to: &out)
        }
    }
}

private final class ObjectNode {
    /// In the order encoded: appending is cheaper than hashing every key into a dictionary.
    private var keys: [String] = []
    private var values: [Node] = []

    /// Encoding a key again replaces its value, as with `JSONEncoder`: `write` keeps the last.
    func set(_ key: String, _ value: Node) {
        keys.append(key)
        values.append(value)
    }

    func write(to out: inout [UInt8]) {
        out.append(UInt8(ascii: "{"))
        var order = Array(keys.indices)
        // Stable for equal keys (the later position last), so the last of a repeated key wins.
        order.sort { keys[$0] == keys[$1] ? $0 < $1 : CanonicalJSONEncoder.keyOrder(keys[$0], keys[$1]) }
        var first = true
        for (rank, position) in order.enumerated() {
            if rank + 1 < order.count && keys[order[rank + 1]] == keys[position] { continue } // replaced later
            if !first { out.append(UInt8(ascii: ",")) }
            first = false
            JSONWriter.appendString(keys[position], to: &out)
            out.append(UInt8(ascii: ":"))
            values[position].write(to: &out)
        }
        out.append(UInt8(ascii: "}"))
    }
}

private final class ArrayNode {
    var elements: [Node] = []
}

// MARK: - Encoder

private final class TreeEncoder: Encoder {
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }
    private var storage: Node?

    init(codingPath: [any CodingKey]) { self.codingPath = codingPath }

    /// What was encoded; a value that encoded nothing is an empty object, as for `JSONEncoder`.
    var value: Node { storage ?? .object(ObjectNode()) }

    /// - Parameter topLevel: a top-level value that encodes nothing is an error for `JSONEncoder`
    ///   (left to it to word), a nested one an empty object.
    static func node<T: Encodable>(for value: T, codingPath: [any CodingKey], topLevel: Bool = false) throws -> Node {
        // Comparing metadata first: cheaper than a dynamic cast to each type in turn.
        if T.self == String.self { return .string(unsafeBitCast(value, to: String.self)) }
        if T.self == Int.self { return .int(Int64(unsafeBitCast(value, to: Int.self))) }
        if T.self == Bool.self { return .bool(unsafeBitCast(value, to: Bool.self)) }
        if T.self == Double.self { return try number(unsafeBitCast(value, to: Double.self)) }
        switch value {
        case let value as any JSONWritable:
            var out: [UInt8] = []
            try value.writeJSON(to: &out)
            return .raw(out)
        default:
            break
        }
        if T.self == Data.self || T.self == URL.self || T.self == Decimal.self || T.self == Date.self {
            throw CanonicalJSONEncoder.Unsupported(description: "\(T.self) is encoded specially by JSONEncoder")
        }
        let encoder = TreeEncoder(codingPath: codingPath)
        try value.encode(to: encoder)
        if topLevel && encoder.storage == nil { throw CanonicalJSONEncoder.Unsupported(description: "top-level \(T.self) encoded no value") }
        return encoder.value
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        let object: ObjectNode
        if case .object(let existing) = storage {
            object = existing
        } else {
            object = ObjectNode()
            storage = .object(object)
        }
        return KeyedEncodingContainer(KeyedContainer<Key>(object: object, codingPath: codingPath))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        let array: ArrayNode
        if case .array(let existing) = storage {
            array = existing
        } else {
            array = ArrayNode()
            storage = .array(array)
        }
        return UnkeyedContainer(array: array, codingPath: codingPath)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer { SingleValueContainer(encoder: self) }

    fileprivate func set(_ node: Node) { storage = node }
}

private struct KeyedContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let object: ObjectNode
    let codingPath: [any CodingKey]

    mutating func encodeNil(forKey key: Key) throws { object.set(key.stringValue, .null) }
    mutating func encode(_ value: Bool, forKey key: Key) throws { object.set(key.stringValue, .bool(value)) }
    mutating func encode(_ value: String, forKey key: Key) throws { object.set(key.stringValue, .string(value)) }
    mutating func encode(_ value: Double, forKey key: Key) throws { object.set(key.stringValue, try number(value)) }
    mutating func encode(_ value: Float, forKey key: Key) throws { object.set(key.stringValue, try number(value)) }
    mutating func encode(_ value: Int, forKey key: Key) throws { object.set(key.stringValue, .int(Int64(value))) }
    mutating func encode(_ value: Int8, forKey key: Key) throws { object.set(key.stringValue, .int(Int64(value))) }
    mutating func encode(_ value: Int16, forKey key: Key) throws { object.set(key.stringValue, .int(Int64(value))) }
    mutating func encode(_ value: Int32, forKey key: Key) throws { object.set(key.stringValue, .int(Int64(value))) }
    mutating func encode(_ value: Int64, forKey key: Key) throws { object.set(key.stringValue, .int(value)) }
    mutating func encode(_ value: UInt, forKey key: Key) throws { object.set(key.stringValue, .uint(UInt64(value))) }
    mutating func encode(_ value: UInt8, forKey key: Key) throws { object.set(key.stringValue, .uint(UInt64(value))) }
    mutating func encode(_ value: UInt16, forKey key: Key) throws { object.set(key.stringValue, .uint(UInt64(value))) }
    mutating func encode(_ value: UInt32, forKey key: Key) throws { object.set(key.stringValue, .uint(UInt64(value))) }
    mutating func encode(_ value: UInt64, forKey key: Key) throws { object.set(key.stringValue, .uint(value)) }

    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        object.set(key.stringValue, try TreeEncoder.node(for: value, codingPath: codingPath + [key]))
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
        let nested = ObjectNode()
        object.set(key.stringValue, .object(nested))
        return KeyedEncodingContainer(KeyedContainer<NestedKey>(object: nested, codingPath: codingPath + [key]))
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        let nested = ArrayNode()
        object.set(key.stringValue, .array(nested))
        return UnkeyedContainer(array: nested, codingPath: codingPath + [key])
    }

    mutating func superEncoder() -> any Encoder { superEncoder(named: "super") }
    mutating func superEncoder(forKey key: Key) -> any Encoder { superEncoder(named: key.stringValue) }

    private func superEncoder(named name: String) -> any Encoder {
        let encoder = TreeEncoder(codingPath: codingPath)
        object.set(name, .deferred(encoder))
        return encoder
    }
}

private struct UnkeyedContainer: UnkeyedEncodingContainer {
    let array: ArrayNode
    let codingPath: [any CodingKey]
    var count: Int { array.elements.count }

    mutating func encodeNil() throws { array.elements.append(.null) }
    mutating func encode(_ value: Bool) throws { array.elements.append(.bool(value)) }
    mutating func encode(_ value: String) throws { array.elements.append(.string(value)) }
    mutating func encode(_ value: Double) throws { array.elements.append(try number(value)) }
    mutating func encode(_ value: Float) throws { array.elements.append(try number(value)) }
    mutating func encode(_ value: Int) throws { array.elements.append(.int(Int64(value))) }
    mutating func encode(_ value: Int8) throws { array.elements.append(.int(Int64(value))) }
    mutating func encode(_ value: Int16) throws { array.elements.append(.int(Int64(value))) }
    mutating func encode(_ value: Int32) throws { array.elements.append(.int(Int64(value))) }
    mutating func encode(_ value: Int64) throws { array.elements.append(.int(value)) }
    mutating func encode(_ value: UInt) throws { array.elements.append(.uint(UInt64(value))) }
    mutating func encode(_ value: UInt8) throws { array.elements.append(.uint(UInt64(value))) }
    mutating func encode(_ value: UInt16) throws { array.elements.append(.uint(UInt64(value))) }
    mutating func encode(_ value: UInt32) throws { array.elements.append(.uint(UInt64(value))) }
    mutating func encode(_ value: UInt64) throws { array.elements.append(.uint(value)) }

    mutating func encode<T: Encodable>(_ value: T) throws {
        array.elements.append(try TreeEncoder.node(for: value, codingPath: codingPath))
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        let nested = ObjectNode()
        array.elements.append(.object(nested))
        return KeyedEncodingContainer(KeyedContainer<NestedKey>(object: nested, codingPath: codingPath))
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        let nested = ArrayNode()
        array.elements.append(.array(nested))
        return UnkeyedContainer(array: nested, codingPath: codingPath)
    }

    mutating func superEncoder() -> any Encoder {
        let encoder = TreeEncoder(codingPath: codingPath)
        array.elements.append(.deferred(encoder))
        return encoder
    }
}

private struct SingleValueContainer: SingleValueEncodingContainer {
    let encoder: TreeEncoder
    var codingPath: [any CodingKey] { encoder.codingPath }

    mutating func encodeNil() throws { encoder.set(.null) }
    mutating func encode(_ value: Bool) throws { encoder.set(.bool(value)) }
    mutating func encode(_ value: String) throws { encoder.set(.string(value)) }
    mutating func encode(_ value: Double) throws { encoder.set(try number(value)) }
    mutating func encode(_ value: Float) throws { encoder.set(try number(value)) }
    mutating func encode(_ value: Int) throws { encoder.set(.int(Int64(value))) }
    mutating func encode(_ value: Int8) throws { encoder.set(.int(Int64(value))) }
    mutating func encode(_ value: Int16) throws { encoder.set(.int(Int64(value))) }
    mutating func encode(_ value: Int32) throws { encoder.set(.int(Int64(value))) }
    mutating func encode(_ value: Int64) throws { encoder.set(.int(value)) }
    mutating func encode(_ value: UInt) throws { encoder.set(.uint(UInt64(value))) }
    mutating func encode(_ value: UInt8) throws { encoder.set(.uint(UInt64(value))) }
    mutating func encode(_ value: UInt16) throws { encoder.set(.uint(UInt64(value))) }
    mutating func encode(_ value: UInt32) throws { encoder.set(.uint(UInt64(value))) }
    mutating func encode(_ value: UInt64) throws { encoder.set(.uint(value)) }

    mutating func encode<T: Encodable>(_ value: T) throws {
        encoder.set(try TreeEncoder.node(for: value, codingPath: codingPath))
    }
}

private func number(_ value: Double) throws -> Node {
    guard value.isFinite else { throw CanonicalJSONEncoder.Unsupported(description: "non-finite number \(value)") }
    return .double(value)
}

private func number(_ value: Float) throws -> Node {
    guard value.isFinite else { throw CanonicalJSONEncoder.Unsupported(description: "non-finite number \(value)") }
    return .float(value)
}
