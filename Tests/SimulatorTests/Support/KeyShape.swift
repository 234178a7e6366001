import Chatwoot

/// Compares the shape of two JSON values: the key sets of objects, recursively.
///
/// `null` matches anything (a `null` assignee in one payload and an object in the other are the
/// same shape); arrays are compared element by element up to the shorter length; scalars are
/// compared by kind only (numbers are one kind).
enum KeyShape {
    /// Human-readable differences, empty when the shapes match.
    static func differences(_ actual: JSONValue, _ expected: JSONValue, path: String = "$") -> [String] {
        switch (actual, expected) {
        case (.null, _), (_, .null):
            return []
        case (.object(let actualObject), .object(let expectedObject)):
            var found: [String] = []
            for key in Set(actualObject.keys).subtracting(expectedObject.keys).sorted() {
                found.append("\(path).\(key) is not in the fixture")
            }
            for key in Set(expectedObject.keys).subtracting(actualObject.keys).sorted() {
                found.append("\(path).\(key) is missing")
            }
            for key in Set(actualObject.keys).intersection(expectedObject.keys).sorted() {
                found += differences(actualObject[key]!, expectedObject[key]!, path: "\(path).\(key)")
            }
            return found
        case (.array(let actualArray), .array(let expectedArray)):
            return zip(actualArray, expectedArray).enumerated().flatMap { index, pair in
                differences(pair.0, pair.1, path: "\(path)[\(index)]")
            }
        default:
            return kind(actual) == kind(expected) ? [] : ["\(path) is \(kind(actual)), the fixture has \(kind(expected))"]
        }
    }

    private static func kind(_ value: JSONValue) -> String {
        switch value {
        case .null: "null"
        case .bool: "bool"
        case .int, .double: "number"
        case .string: "string"
        case .array: "array"
        case .object: "object"
        }
    }
}
