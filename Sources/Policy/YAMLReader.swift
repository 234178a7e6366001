import Yams

/// Reads a YAML tree while collecting every problem with its line, so `policy check` reports
/// them all at once instead of stopping at the first.
final class YAMLReader {
    let file: String
    private(set) var issues: [PolicyIssue] = []

    init(file: String) {
        self.file = file
    }

    func fail(_ node: Node?, _ message: String) {
        let mark = node?.mark
        issues.append(PolicyIssue(file: file, line: mark?.line ?? 0, column: mark?.column ?? 0, message: message))
    }

    func fail(line: Int, _ message: String) {
        issues.append(PolicyIssue(file: file, line: line, column: 1, message: message))
    }

    /// The pairs of a mapping, keys as strings. Reports keys outside `allowed` (a typo silently
    /// ignored is the worst kind of policy bug).
    func mapping(_ node: Node?, _ what: String, allowed: [String]? = nil) -> [(key: String, keyNode: Node, value: Node)]? {
        guard let node else { return nil }
        guard case .mapping(let mapping) = node else {
            fail(node, "\(what) must be a mapping (key: value)")
            return nil
        }
        var pairs: [(String, Node, Node)] = []
        for (key, value) in mapping {
            guard let name = key.string else {
                fail(key, "\(what): keys must be strings")
                continue
            }
            if let allowed, !allowed.contains(name) {
                fail(key, "\(what): unknown key '\(name)' (expected one of: \(allowed.joined(separator: ", ")))")
                continue
            }
            pairs.append((name, key, value))
        }
        return pairs
    }

    /// A mapping as a dictionary (for lookups by key).
    func fields(_ node: Node?, _ what: String, allowed: [String]) -> Fields? {
        guard let pairs = mapping(node, what, allowed: allowed) else { return nil }
        return Fields(node: node!, pairs: pairs)
    }

    func sequence(_ node: Node?, _ what: String) -> [Node]? {
        guard let node else { return nil }
        guard case .sequence(let sequence) = node else {
            fail(node, "\(what) must be a list")
            return nil
        }
        return Array(sequence)
    }

    func string(_ node: Node?, _ what: String) -> String? {
        guard let node else { return nil }
        guard case .scalar(let scalar) = node else {
            fail(node, "\(what) must be text")
            return nil
        }
        return scalar.string
    }

    func int(_ node: Node?, _ what: String, range: ClosedRange<Int>? = nil) -> Int? {
        guard let node else { return nil }
        guard let value = node.int else {
            fail(node, "\(what) must be a whole number")
            return nil
        }
        if let range, !range.contains(value) {
            fail(node, "\(what) must be between \(range.lowerBound) and \(range.upperBound)")
            return nil
        }
        return value
    }

    func double(_ node: Node?, _ what: String, range: ClosedRange<Double>? = nil) -> Double? {
        guard let node else { return nil }
        guard let value = node.float ?? node.int.map(Double.init) else {
            fail(node, "\(what) must be a number")
            return nil
        }
        if let range, !range.contains(value) {
            fail(node, "\(what) must be between \(range.lowerBound) and \(range.upperBound)")
            return nil
        }
        return value
    }

    func bool(_ node: Node?, _ what: String) -> Bool? {
        guard let node else { return nil }
        guard let value = node.bool else {
            fail(node, "\(what) must be true or false")
            return nil
        }
        return value
    }

    /// A list of strings; a single string is accepted as a list of one.
    func strings(_ node: Node?, _ what: String) -> [String]? {
        guard let node else { return nil }
        if case .scalar = node { return string(node, what).map { [$0] } }
        guard let items = sequence(node, what) else { return nil }
        return items.compactMap { string($0, "each entry of \(what)") }
    }

    /// A duration: `500ms`, `3s`, `2m`, or a number of seconds; at most a year (`1e300s` would
    /// not fit in an Int).
    func milliseconds(_ node: Node?, _ what: String) -> Int? {
        guard let node, let text = string(node, what) else { return nil }
        let units: [(String, Double)] = [("ms", 1), ("s", 1000), ("m", 60_000)]
        let year = 365.0 * 86_400_000
        for (suffix, factor) in units where text.hasSuffix(suffix) {
            if let value = Double(text.dropLast(suffix.count)), value > 0, value * factor <= year { return Int(value * factor) }
        }
        if let seconds = Double(text), seconds > 0, seconds * 1000 <= year { return Int(seconds * 1000) }
        fail(node, "\(what) must be a duration such as 500ms, 3s or 2m (at most a year)")
        return nil
    }
}

/// A mapping's values by key, remembering the mapping's node for "missing key" errors.
struct Fields {
    let node: Node
    let pairs: [(key: String, keyNode: Node, value: Node)]

    subscript(key: String) -> Node? { pairs.first { $0.key == key }?.value }
    func has(_ key: String) -> Bool { pairs.contains { $0.key == key } }
}

extension Node {
    var line: Int { mark?.line ?? 0 }
}
