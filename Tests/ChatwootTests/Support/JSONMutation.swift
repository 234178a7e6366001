import Chatwoot
import Foundation
import Testing

/// Helpers to derive mutated payloads from fixtures.
enum JSONMutation {
    static func object(_ data: Data) throws -> [String: JSONValue] {
        try #require(try JSONDecoder().decode(JSONValue.self, from: data).objectValue)
    }

    static func data(_ value: JSONValue) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return try encoder.encode(value)
    }

    /// The fixture with `transform` applied to its top-level object.
    static func fixture(_ name: String, _ transform: (inout [String: JSONValue]) -> Void) throws -> Data {
        var object = try object(Fixtures.data(name))
        transform(&object)
        return try data(.object(object))
    }
}
