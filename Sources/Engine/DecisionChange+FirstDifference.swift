import Chatwoot
import Domain
import Foundation

extension DecisionChange {
    /// Where the recorded and the replayed decision first differ, as a path into their JSON
    /// (`explanation.nlu.ranking[0].confidence`) with both values as canonical JSON (keys sorted,
    /// so the report is the same text in every process), each cut to 120 characters: the summary
    /// lines can read the same while a score or an explanation differs, and a difference must be
    /// findable. nil when either decision is absent.
    public var firstDifference: (path: String, recorded: String, replayed: String)? {
        guard let recorded = recorded.flatMap(Self.jsonValue), let replayed = replayed.flatMap(Self.jsonValue) else { return nil }
        return Self.firstDifference(recorded, replayed, at: "")
    }

    private static func jsonValue(_ decision: Decision) -> JSONValue? {
        (try? decision.encoded()).flatMap { try? JSONDecoder().decode(JSONValue.self, from: Data($0)) }
    }

    private static func firstDifference(_ a: JSONValue, _ b: JSONValue, at path: String) -> (path: String, recorded: String, replayed: String)? {
        switch (a, b) {
        case (.object(let x), .object(let y)):
            for key in Set(x.keys).union(y.keys).sorted() {
                let member = path.isEmpty ? key : path + "." + key
                guard let left = x[key], let right = y[key] else { return (member, x[key].map(text) ?? "(absent)", y[key].map(text) ?? "(absent)") }
                if let found = firstDifference(left, right, at: member) { return found }
            }
            return nil
        case (.array(let x), .array(let y)):
            for index in 0..<max(x.count, y.count) {
                let element = "\(path)[\(index)]"
                guard index < x.count, index < y.count else { return (element, index < x.count ? text(x[index]) : "(absent)", index < y.count ? text(y[index]) : "(absent)") }
                if let found = firstDifference(x[index], y[index], at: element) { return found }
            }
            return nil
        default:
            return a == b ? nil : (path.isEmpty ? "(the whole decision)" : path, text(a), text(b))
        }
    }

    private static func text(_ value: JSONValue) -> String {
        var out: [UInt8] = []
        let bytes = (try? value.writeJSON(to: &out)).map { String(decoding: out, as: UTF8.self) } ?? "\(value)"
        return bytes.count > 120 ? String(bytes.prefix(117)) + "…" : bytes
    }
}
