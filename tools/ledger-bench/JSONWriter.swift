import Ledger

/// A streaming writer of compact JSON, as Chatwoot's Ruby `to_json` (ActiveSupport) writes it:
/// no spaces, keys in insertion order, UTF-8 left as is, `<` `>` `&` escaped as `\u003c` etc.
struct JSONWriter {
    var out: [UInt8]
    private var stack: [UInt8] = []   // bit 0: in array, bit 1: first element still to come

    init(capacity: Int) {
        out = []
        out.reserveCapacity(capacity)
        stack.reserveCapacity(16)
    }

    private mutating func beforeValue() {
        guard let top = stack.last, top & 1 == 1 else { return }
        if top & 2 == 0 { out.append(UInt8(ascii: ",")) }
        stack[stack.count - 1] = 1
    }

    mutating func key(_ key: StaticString) {
        if stack[stack.count - 1] & 2 == 0 { out.append(UInt8(ascii: ",")) }
        stack[stack.count - 1] = 0
        out.append(UInt8(ascii: "\""))
        key.withUTF8Buffer { out.append(contentsOf: $0) }
        out.append(UInt8(ascii: "\""))
        out.append(UInt8(ascii: ":"))
    }

    /// A key that is not a literal.
    mutating func key(dynamic key: String) {
        if stack[stack.count - 1] & 2 == 0 { out.append(UInt8(ascii: ",")) }
        stack[stack.count - 1] = 0
        writeString(key)
        out.append(UInt8(ascii: ":"))
    }

    mutating func beginObject() { beforeValue(); out.append(UInt8(ascii: "{")); stack.append(2) }
    mutating func endObject() { stack.removeLast(); out.append(UInt8(ascii: "}")) }
    mutating func beginArray() { beforeValue(); out.append(UInt8(ascii: "[")); stack.append(3) }
    mutating func endArray() { stack.removeLast(); out.append(UInt8(ascii: "]")) }

    mutating func string(_ value: String) { beforeValue(); writeString(value) }
    mutating func int(_ value: Int) { beforeValue(); writeInt(value) }
    mutating func bool(_ value: Bool) { beforeValue(); out.append(contentsOf: value ? Self.trueBytes : Self.falseBytes) }
    mutating func null() { beforeValue(); out.append(contentsOf: Self.nullBytes) }
    /// A number already formatted (floats).
    mutating func raw(_ value: String) { beforeValue(); out.append(contentsOf: value.utf8) }

    // Fields of the current object.
    mutating func field(_ k: StaticString, _ value: String) { key(k); writeString(value) }
    mutating func field(_ k: StaticString, _ value: String?) { key(k); if let value { writeString(value) } else { out.append(contentsOf: Self.nullBytes) } }
    mutating func field(_ k: StaticString, _ value: Int) { key(k); writeInt(value) }
    mutating func field(_ k: StaticString, _ value: Int?) { key(k); if let value { writeInt(value) } else { out.append(contentsOf: Self.nullBytes) } }
    mutating func field(_ k: StaticString, _ value: Bool) { key(k); out.append(contentsOf: value ? Self.trueBytes : Self.falseBytes) }
    mutating func nullField(_ k: StaticString) { key(k); out.append(contentsOf: Self.nullBytes) }
    mutating func rawField(_ k: StaticString, _ value: String) { key(k); out.append(contentsOf: value.utf8) }
    mutating func emptyObject(_ k: StaticString) { key(k); out.append(UInt8(ascii: "{")); out.append(UInt8(ascii: "}")) }
    mutating func emptyArray(_ k: StaticString) { key(k); out.append(UInt8(ascii: "[")); out.append(UInt8(ascii: "]")) }

    mutating func object(_ k: StaticString, _ body: (inout JSONWriter) -> Void) {
        key(k)
        beginObject()
        body(&self)
        endObject()
    }

    mutating func array(_ k: StaticString, _ body: (inout JSONWriter) -> Void) {
        key(k)
        beginArray()
        body(&self)
        endArray()
    }

    mutating func stringArray(_ k: StaticString, _ values: [String]) {
        key(k)
        beginArray()
        for value in values { string(value) }
        endArray()
    }

    private static let trueBytes = Array("true".utf8)
    private static let falseBytes = Array("false".utf8)
    private static let nullBytes = Array("null".utf8)
    private static let hex = Array("0123456789abcdef".utf8)

    private mutating func writeInt(_ value: Int) {
        if value < 0 { out.append(UInt8(ascii: "-")) }
        var magnitude = value.magnitude
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var count = 0
        withUnsafeMutableBytes(of: &digits) { buffer in
            repeat {
                buffer[19 - count] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
                count += 1
            } while magnitude > 0
            out.append(contentsOf: buffer[(20 - count)...])
        }
    }

    private mutating func writeString(_ value: String) {
        out.append(UInt8(ascii: "\""))
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out.append(UInt8(ascii: "\\")); out.append(byte)
            case UInt8(ascii: "\\"): out.append(UInt8(ascii: "\\")); out.append(byte)
            case 0x0A: out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "n"))
            case 0x0D: out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "r"))
            case 0x09: out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "t"))
            case 0..<0x20, UInt8(ascii: "<"), UInt8(ascii: ">"), UInt8(ascii: "&"):
                out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"),
                                        Self.hex[Int(byte >> 4)], Self.hex[Int(byte & 0xF)]])
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}

// MARK: Time formats Chatwoot payloads use

enum TimeText {
    private static let weekdays = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// Days since 1970-01-01 → (year, month 1…12, day), from the ledger's one calendar routine.
    static func civil(_ days: Int) -> (year: Int, month: Int, day: Int) {
        let (y, m, d) = Timestamp.civil(fromDays: Int64(days))
        return (Int(y), Int(m), Int(d))
    }

    private static func two(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
    private static func three(_ v: Int) -> String { v < 10 ? "00\(v)" : v < 100 ? "0\(v)" : "\(v)" }

    /// "2026-05-13T09:15:42.318Z" (Rails' `as_json` of a time).
    static func iso(_ micros: Int64) -> String {
        let secs = Int(micros / 1_000_000)
        let days = secs / 86_400, rest = secs % 86_400
        let (y, m, d) = civil(days)
        return "\(y)-\(two(m))-\(two(d))T\(two(rest / 3600)):\(two(rest / 60 % 60)):\(two(rest % 60)).\(three(Int(micros % 1_000_000) / 1000))Z"
    }

    /// "Wed May 13 2026 11:15:41 GMT+0200 (Central European Summer Time)" (JavaScript `Date#toString`).
    static func javaScript(_ secs: Int64, offsetMinutes: Int, zoneName: String) -> String {
        let local = Int(secs) + offsetMinutes * 60
        let days = local / 86_400, rest = local % 86_400
        let (y, m, d) = civil(days)
        let sign = offsetMinutes < 0 ? "-" : "+"
        let off = abs(offsetMinutes)
        return "\(weekdays[(days + 4) % 7]) \(months[m - 1]) \(two(d)) \(y) \(two(rest / 3600)):\(two(rest / 60 % 60)):\(two(rest % 60)) GMT\(sign)\(two(off / 60))\(two(off % 60)) (\(zoneName))"
    }

    /// "1778663742.351829" — a Ruby Float of epoch seconds (`updated_at` of conversations).
    static func rubyFloat(_ micros: Int64) -> String {
        var fraction = String(micros % 1_000_000)
        fraction = String(repeating: "0", count: 6 - fraction.count) + fraction
        while fraction.count > 1 && fraction.hasSuffix("0") { fraction.removeLast() }
        return "\(micros / 1_000_000).\(fraction)"
    }
}
