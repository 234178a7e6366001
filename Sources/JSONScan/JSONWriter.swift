/// Minimal JSON output for hot paths (ledger lines, event meta) where key order and bytes
/// must be stable and Foundation's encoder is too slow.
public enum JSONWriter {
    /// Appends `string` as a JSON string literal (quotes included), escaped as Foundation's
    /// `JSONEncoder` escapes it (``CanonicalJSONEncoder`` relies on that).
    /// `string` as a JSON string literal holds it, without the quotes: for a value inserted
    /// inside a string of a JSON text (a template's `"{{name}}"`, a `"${TOKEN}"`).
    public static func escapedContent(_ string: String) -> String {
        var quoted: [UInt8] = []
        appendString(string, to: &quoted)
        return String(decoding: quoted.dropFirst().dropLast(), as: UTF8.self)
    }

    public static func appendString(_ string: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        var string = string
        string.withUTF8 { bytes in
            // Runs without anything to escape are copied whole.
            var run = 0
            for index in 0..<bytes.count {
                let byte = bytes[index]
                guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
                out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[run..<index]))
                run = index + 1
                switch byte {
                case UInt8(ascii: "\""): out += [92, 34]
                case UInt8(ascii: "\\"): out += [92, 92]
                case 0x08: out += [92, 98]
                case 0x0C: out += [92, 102]
                case 0x0A: out += [92, 110]
                case 0x0D: out += [92, 114]
                case 0x09: out += [92, 116]
                default:
                    let hex = Array("0123456789abcdef".utf8)
                    out += [92, 117, 48, 48, hex[Int(byte >> 4)], hex[Int(byte & 0xF)]]
                }
            }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[run...]))
        }
        out.append(UInt8(ascii: "\""))
    }

    /// A compact JSON object from ordered pairs; values are strings, integers, booleans or encoded JSON.
    public static func object(_ pairs: [(String, Value)]) -> [UInt8] {
        var out: [UInt8] = [UInt8(ascii: "{")]
        for (i, (key, value)) in pairs.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            appendString(key, to: &out)
            out.append(UInt8(ascii: ":"))
            switch value {
            case .string(let s): appendString(s, to: &out)
            case .int(let n): out += Array(String(n).utf8)
            case .bool(let b): out += Array((b ? "true" : "false").utf8)
            case .raw(let json): out += json
            }
        }
        out.append(UInt8(ascii: "}"))
        return out
    }

    public enum Value: Sendable, Equatable {
        case string(String)
        case int(Int64)
        case bool(Bool)
        /// A JSON value already encoded (and valid), written as it is.
        case raw([UInt8])
    }
}
