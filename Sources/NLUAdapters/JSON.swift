import Foundation

/// A parsed JSON value, read leniently: a field of an unexpected type reads as absent.
enum JSON: Sendable, Hashable, Decodable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSON])
    case object([String: JSON])

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSON].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSON].self))
        }
    }

    /// Parses `bytes`; `nil` if they are not JSON.
    static func parse(_ bytes: some Sequence<UInt8>) -> JSON? {
        try? JSONDecoder().decode(JSON.self, from: Data(bytes))
    }

    subscript(key: String) -> JSON? {
        if case .object(let object) = self { return object[key] }
        return nil
    }

    var string: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    /// A non-empty string.
    var text: String? {
        guard let value = string, !value.isEmpty else { return nil }
        return value
    }

    var double: Double? {
        if case .number(let value) = self, value.isFinite { return value }
        return nil
    }

    var int: Int? {
        guard let value = double, value == value.rounded(), abs(value) < 9e15 else { return nil }
        return Int(value)
    }

    var bool: Bool? {
        if case .bool(let value) = self { return value }
        return nil
    }

    var array: [JSON]? {
        if case .array(let value) = self { return value }
        return nil
    }

    var object: [String: JSON]? {
        if case .object(let value) = self { return value }
        return nil
    }

    var isNull: Bool { self == .null }

    /// The value as entity text: strings as they are, integral numbers without `.0`, others as
    /// compact JSON with sorted keys.
    var entityText: String {
        switch self {
        case .string(let value): value
        default: compactJSON
        }
    }

    var compactJSON: String {
        switch self {
        case .null: return "null"
        case .bool(let value): return value ? "true" : "false"
        case .number(let value):
            if let integer = JSON.number(value).int { return String(integer) }
            return value.isFinite ? String(value) : "null"
        case .string(let value): return JSON.quoted(value)
        case .array(let values): return "[" + values.map(\.compactJSON).joined(separator: ",") + "]"
        case .object(let object):
            let members = object.keys.sorted().map { JSON.quoted($0) + ":" + object[$0]!.compactJSON }
            return "{" + members.joined(separator: ",") + "}"
        }
    }

    private static func quoted(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case _ where scalar.value < 0x20:
                result += "\\u" + String(repeating: "0", count: 4 - String(scalar.value, radix: 16).count)
                    + String(scalar.value, radix: 16)
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result + "\""
    }
}

extension JSON {
    /// Dialogflow parameters (a `Struct`) as entities: one per non-empty value, one per element of
    /// a list; unfilled parameters (`""`, `[]`, `null`) are left out. Sorted by name for stability.
    static func parameterEntities(_ parameters: JSON?) -> [NLUEntity] {
        guard let object = parameters?.object else { return [] }
        var entities: [NLUEntity] = []
        for name in object.keys.sorted() {
            let values: [JSON] = object[name]!.array ?? [object[name]!]
            for value in values {
                switch value {
                case .null: continue
                case .string(let text) where text.isEmpty: continue
                case .object(let members) where members.isEmpty: continue
                default: entities.append(NLUEntity(entity: name, value: value.entityText))
                }
            }
        }
        return entities
    }
}
