import JSONScan

/// A JSON value of any shape.
///
/// Chatwoot sends several free-form hashes (`content_attributes`, `additional_attributes`,
/// `custom_attributes`, `event_info`, …). They are kept as `JSONValue` so nothing is lost and
/// no unexpected shape can make a delivery undecodable.
///
/// Integers and fractional numbers are kept apart (`.int` / `.double`) so that ids survive a
/// round trip exactly. Decoding tries `Bool`, then `Int`, then `Double`, so `1` is `.int(1)`,
/// `1.5` is `.double(1.5)` and a number too large for `Int` becomes `.double`.
///
/// ```swift
/// let attributes: JSONValue = ["items": [["title": "Yes", "value": "yes"]]]
/// attributes["items"]?[0]?["value"]?.stringValue  // "yes"
/// ```
public enum JSONValue: Sendable, Hashable {
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])
}

// MARK: - Codable

extension JSONValue: Codable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int.self) {
            self = .int(value)
        } else if let value = try? container.decode(Double.self) {
            self = .double(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            // Last candidate: let its error describe why nothing matched.
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .int(let value): try container.encode(value)
        case .double(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }
}

// MARK: - Canonical bytes

extension JSONValue: JSONWritable {
    /// What ``JSONScan/CanonicalJSONEncoder`` writes through `encode(to:)`, without the `Encoder`
    /// dispatch for every nested value.
    public func writeJSON(to out: inout [UInt8]) throws {
        switch self {
        case .null: out.append(contentsOf: "null".utf8)
        case .bool(let value): out.append(contentsOf: (value ? "true" : "false").utf8)
        case .int(let value): out.append(contentsOf: String(value).utf8)
        case .double(let value): try CanonicalJSONEncoder.appendNumber(value, to: &out)
        case .string(let value): JSONWriter.appendString(value, to: &out)
        case .array(let values):
            try CanonicalJSONEncoder.appendArray(values, to: &out) { value, out in try value.writeJSON(to: &out) }
        case .object(let members):
            try CanonicalJSONEncoder.appendObject(members, to: &out) { value, out in try value.writeJSON(to: &out) }
        }
    }
}

// MARK: - Reading scanned bytes

extension JSONValue {
    /// The value at `range` of `bytes` that ``JSONScan/JSONScanner`` has already validated (a
    /// member range of a ``JSONScan/JSONObjectView``), built directly from the bytes: several
    /// times faster than `JSONDecoder`, which the ledger's hot paths cannot afford.
    ///
    /// Gives exactly what decoding with `JSONDecoder` gives (`Bool`, then `Int` — also for an
    /// integral `1.0` or `1e2` —, then `Double`, …), or nil where that is not certain (a string
    /// with a `\u` escape, a number out of `Double`'s range): callers then decode the usual way.
    public init?(validated bytes: UnsafeRawBufferPointer, at range: Range<Int>) {
        guard range.lowerBound < range.upperBound, range.upperBound <= bytes.count else { return nil }
        switch bytes[range.lowerBound] {
        case UInt8(ascii: "{"):
            guard let members = JSONScanner.members(ofValidated: bytes, at: range) else { return nil }
            var object: [String: JSONValue] = [:]
            object.reserveCapacity(members.count)
            for member in members {
                guard let value = JSONValue(validated: bytes, at: member.value) else { return nil }
                // A repeated key: the first one counts, as for `JSONDecoder`.
                if object[member.key] == nil { object[member.key] = value }
            }
            self = .object(object)
        case UInt8(ascii: "["):
            guard let elements = JSONScanner.elements(ofValidated: bytes, at: range) else { return nil }
            var array: [JSONValue] = []
            array.reserveCapacity(elements.count)
            for element in elements {
                guard let value = JSONValue(validated: bytes, at: element) else { return nil }
                array.append(value)
            }
            self = .array(array)
        case UInt8(ascii: "\""):
            // `JSONDecoder` rejects a lone surrogate where the scanner substitutes U+FFFD.
            if JSONScanner.mayHoldUnicodeEscape(in: bytes, at: range) { return nil }
            guard let text = try? JSONScanner.string(in: bytes, at: range) else { return nil }
            self = .string(text)
        case UInt8(ascii: "t"): self = .bool(true)
        case UInt8(ascii: "f"): self = .bool(false)
        case UInt8(ascii: "n"): self = .null
        default:
            if let integer = JSONScanner.integer(in: bytes, at: range), let value = Int(exactly: integer) {
                self = .int(value)
                return
            }
            guard let double = Double(String(decoding: UnsafeRawBufferPointer(rebasing: bytes[range]), as: UTF8.self)),
                  double.isFinite else { return nil }
            self = Int(exactly: double).map(JSONValue.int) ?? .double(double)
        }
    }
}

// MARK: - Literals

extension JSONValue: ExpressibleByNilLiteral, ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByFloatLiteral, ExpressibleByStringLiteral, ExpressibleByArrayLiteral,
    ExpressibleByDictionaryLiteral
{
    public init(nilLiteral: ()) { self = .null }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(integerLiteral value: Int) { self = .int(value) }
    public init(floatLiteral value: Double) { self = .double(value) }
    public init(stringLiteral value: String) { self = .string(value) }
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self = .object(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }
}
