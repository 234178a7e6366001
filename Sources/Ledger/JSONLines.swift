import Foundation
import JSONScan

/// The ledger's JSON Lines exchange format (`ledgerbot ledger export|import`), one event a line:
///
/// ```
/// {"seq":1,"time":"2026-05-13T09:15:42.318000Z","stream":"1/128","type":"webhook.received","causation":null,"body":{…}}
/// ```
/// `body` holds the body verbatim when it is one JSON value with no line breaks and no
/// surrounding white space; otherwise `body_base64` holds it, so every body survives
/// export → import byte for byte. `meta` (or `meta_base64`) follows the same rule and is
/// written only when the event has meta.
public enum JSONLines {
    /// Encodes one event as a line (without the trailing newline).
    public static func encode(_ event: LedgerEvent) -> [UInt8] {
        var line: [UInt8] = []
        line.reserveCapacity(event.body.count + 160)
        line += Array("{\"seq\":\(event.seq),\"time\":\"\(Timestamp.iso8601(micros: event.time))\",\"stream\":".utf8)
        JSONWriter.appendString(event.stream, to: &line)
        line += Array(",\"type\":".utf8)
        JSONWriter.appendString(event.type, to: &line)
        line += Array(",\"causation\":\(event.causation.map(String.init) ?? "null"),".utf8)
        appendBytes(event.body, key: "body", to: &line)
        if !event.meta.isEmpty {
            line.append(UInt8(ascii: ","))
            appendBytes(event.meta, key: "meta", to: &line)
        }
        line.append(UInt8(ascii: "}"))
        return line
    }

    private static func appendBytes(_ bytes: [UInt8], key: String, to line: inout [UInt8]) {
        if isInlineJSON(bytes) {
            line += Array("\"\(key)\":".utf8)
            line += bytes
        } else {
            line += Array("\"\(key)_base64\":\"".utf8)
            line += Array(Data(bytes).base64EncodedString().utf8)
            line.append(UInt8(ascii: "\""))
        }
    }

    /// A line that is not a valid event.
    public struct LineError: Error, CustomStringConvertible, Sendable {
        public var reason: String
        public var description: String { reason }
    }

    /// Decodes one line. The seq and causation are returned as written; the importer maps them.
    public static func decode(_ line: UnsafeRawBufferPointer) throws(LineError) -> LedgerEvent {
        let members: [(key: String, value: Range<Int>)]
        do { members = try JSONScanner.members(of: line) } catch { throw LineError(reason: error.description) }
        var seq: Int64?, time: Int64?, stream: String?, type: String?, causation: Int64?, body: [UInt8]?, meta: [UInt8] = []
        var seen = Set<String>()
        for (key, range) in members {
            guard seen.insert(key).inserted else { throw LineError(reason: "field \"\(key)\" appears twice") }
            switch key {
            case "seq":
                guard let value = JSONScanner.integer(in: line, at: range), value > 0 else { throw LineError(reason: "\"seq\" must be a positive integer") }
                seq = value
            case "time":
                guard let text = try? JSONScanner.string(in: line, at: range), let parsed = Timestamp.parse(text) else {
                    throw LineError(reason: "\"time\" must be an ISO 8601 string such as 2026-05-13T09:15:42.318000Z")
                }
                time = parsed
            case "stream":
                guard let text = try? JSONScanner.string(in: line, at: range) else { throw LineError(reason: "\"stream\" must be a string") }
                stream = text
            case "type":
                guard let text = try? JSONScanner.string(in: line, at: range), !text.isEmpty else { throw LineError(reason: "\"type\" must be a non-empty string") }
                type = text
            case "causation":
                if JSONScanner.isNull(in: line, at: range) { causation = nil; continue }
                guard let value = JSONScanner.integer(in: line, at: range), value > 0 else { throw LineError(reason: "\"causation\" must be a positive integer or null") }
                causation = value
            case "body":
                body = Array(line[range])
            case "body_base64":
                body = try base64(line, range, key)
            case "meta":
                meta = Array(line[range])
            case "meta_base64":
                meta = try base64(line, range, key)
            default:
                throw LineError(reason: "unknown field \"\(key)\"")
            }
        }
        if seen.contains("body") && seen.contains("body_base64") { throw LineError(reason: "give either \"body\" or \"body_base64\", not both") }
        if seen.contains("meta") && seen.contains("meta_base64") { throw LineError(reason: "give either \"meta\" or \"meta_base64\", not both") }
        guard let seq else { throw LineError(reason: "missing \"seq\"") }
        guard let time else { throw LineError(reason: "missing \"time\"") }
        guard let stream else { throw LineError(reason: "missing \"stream\"") }
        guard let type else { throw LineError(reason: "missing \"type\"") }
        guard seen.contains("causation") else { throw LineError(reason: "missing \"causation\" (use null for none)") }
        guard let body else { throw LineError(reason: "missing \"body\" or \"body_base64\"") }
        return LedgerEvent(seq: Seq(seq), stream: stream, type: type, time: time, causation: causation.map(Seq.init), body: body, meta: meta)
    }

    private static func base64(_ line: UnsafeRawBufferPointer, _ range: Range<Int>, _ key: String) throws(LineError) -> [UInt8] {
        guard let text = try? JSONScanner.string(in: line, at: range), let data = Data(base64Encoded: text) else {
            throw LineError(reason: "\"\(key)\" must be a base64 string")
        }
        return [UInt8](data)
    }

    /// True when `body` can be written inline and read back byte for byte.
    static func isInlineJSON(_ body: [UInt8]) -> Bool {
        guard let first = body.first, let last = body.last else { return false }
        let space: Set<UInt8> = [0x20, 0x09, 0x0A, 0x0D]
        if space.contains(first) || space.contains(last) || body.contains(0x0A) || body.contains(0x0D) { return false }
        return body.withUnsafeBytes { (try? JSONScanner.validate($0)) != nil }
    }
}
