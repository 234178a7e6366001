import Chatwoot
import Foundation
import JSONScan

/// How Rails reads request parameters: JSON bodies, enum values and booleans.
enum RailsParams {
    /// The body as params: `[:]` for an empty body, `nil` when it is not JSON (a 400 in Rails).
    static func parse(_ body: Data) -> [String: JSONValue]? {
        if body.allSatisfy({ [0x20, 0x09, 0x0A, 0x0D].contains($0) }) { return [:] }
        guard JSONScanner.isValid(body, maximumDepth: 64),
            let value = try? JSONDecoder().decode(JSONValue.self, from: body)
        else { return nil }
        // Rails wraps a non-object body in `_json`; none of the bot endpoints reads it.
        return value.objectValue ?? [:]
    }

    /// A Rails enum value from its name or integer code; `nil` for anything Rails would reject
    /// (the module's enums keep unknown values as `.other`, Rails raises `ArgumentError`).
    static func enumValue<E: ChatwootEnum>(_ text: String, _ type: E.Type) -> E? {
        let value = Int(text).flatMap { E.fromCode($0) } ?? E(rawValue: text)
        let known = (0..<32).compactMap { E.fromCode($0) }
        return known.contains(value) ? value : nil
    }

    /// Rails' boolean cast: `true`, `"true"`, `"1"`, `1`, `"t"`, `"on"` are true.
    static func truthy(_ value: JSONValue?) -> Bool {
        switch value {
        case .bool(let flag): flag
        case .int(let number): number != 0
        case .string(let text): ["true", "1", "t", "on", "yes"].contains(text.lowercased())
        default: false
        }
    }
}
