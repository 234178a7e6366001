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

/// A small deterministic generator for mutation tests (SplitMix64).
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
