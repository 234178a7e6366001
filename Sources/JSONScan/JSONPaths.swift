/// The key paths one reader needs from a JSON document, compiled once: `conversation.meta.sender.id`,
/// and `[0]` for the first element of an array (`conversation.messages[0].account_id`).
///
/// ``JSONPathView`` reads a body against it in one validating pass that descends only into the
/// objects on these paths: no list of members is built for any object, no key is turned into a
/// `String`, and no nested object is scanned twice — how ingest reads every webhook body, and
/// replay every body without a compact form (`--from-raw`, older ledgers). (About 1.3× faster
/// than splitting each level with ``JSONObjectView`` on `tools/bench-replay.sh`'s webhooks; what
/// remains is validating every byte once.)
public final class JSONPaths: Sendable {
    struct Node: Sendable {
        var key: [UInt8]
        var children: [Int] = []
        /// The node of the array's first element (`[0]`).
        var firstElement: Int?
    }

    let nodes: [Node]

    /// The child of `node` whose key is `key` (raw, unescaped bytes).
    func child(of node: Int, named key: UnsafeRawBufferPointer) -> Int? {
        for child in nodes[node].children {
            let candidate = nodes[child].key
            guard candidate.count == key.count else { continue }
            var equal = true
            for index in 0..<candidate.count where candidate[index] != key[index] {
                equal = false
                break
            }
            if equal { return child }
        }
        return nil
    }

    /// - Parameter paths: dotted key paths; a `[0]` suffix on a segment means the first element
    ///   of that array. Prefixes of a listed path are readable too (as objects).
    public init(_ paths: [String]) {
        var nodes = [Node(key: [])]
        func child(of parent: Int, key: String) -> Int {
            let bytes = Array(key.utf8)
            if let found = nodes[parent].children.first(where: { nodes[$0].key == bytes }) { return found }
            nodes.append(Node(key: bytes))
            nodes[parent].children.append(nodes.count - 1)
            return nodes.count - 1
        }
        for path in paths {
            var node = 0
            for segment in path.split(separator: ".") {
                if segment.hasSuffix("[0]") {
                    node = child(of: node, key: String(segment.dropLast(3)))
                    if let element = nodes[node].firstElement {
                        node = element
                    } else {
                        nodes.append(Node(key: []))
                        nodes[node].firstElement = nodes.count - 1
                        node = nodes.count - 1
                    }
                } else {
                    node = child(of: node, key: String(segment))
                }
            }
        }
        self.nodes = nodes
    }
}

extension JSONPaths {
    /// The value range of every node found in `bytes` (the first occurrence of a repeated key);
    /// nil unless `bytes` is exactly one valid JSON object.
    func scan(_ bytes: UnsafeRawBufferPointer) -> [Range<Int>?]? {
        var scanner = JSONScanner(bytes)
        var found = [Range<Int>?](repeating: nil, count: nodes.count)
        scanner.skipWhitespace()
        guard scanner.peek == UInt8(ascii: "{"), (try? scanner.scanObject(node: 0, paths: self, found: &found, depth: 0)) != nil else { return nil }
        scanner.skipWhitespace()
        guard scanner.position == bytes.count else { return nil }
        return found
    }
}

/// One JSON object of a document read against ``JSONPaths``: the same lenient accessors as
/// ``JSONObjectView`` (``JSONObjectReading``), for the keys the paths name. Asking for a key the
/// paths do not name is a programming error (nil, and an assertion in debug builds).
///
/// Valid only while `bytes` is.
public struct JSONPathView: JSONObjectReading {
    public let bytes: UnsafeRawBufferPointer
    private let paths: JSONPaths
    /// The value range of every node found (the first occurrence of a repeated key, like ``JSONObjectView``).
    private let found: [Range<Int>?]
    private let node: Int

    /// The top-level object of `bytes`; nil unless `bytes` is exactly one valid JSON object.
    public init?(_ bytes: UnsafeRawBufferPointer, paths: JSONPaths) {
        guard let found = paths.scan(bytes) else { return nil }
        self.init(bytes: bytes, paths: paths, found: found, node: 0)
    }

    private init(bytes: UnsafeRawBufferPointer, paths: JSONPaths, found: [Range<Int>?], node: Int) {
        self.bytes = bytes
        self.paths = paths
        self.found = found
        self.node = node
    }

    private func child(_ key: String) -> Int? {
        var key = key
        let child = key.withUTF8 { paths.child(of: node, named: UnsafeRawBufferPointer($0)) }
        assert(child != nil, "\(key) is not among the paths this view was scanned for")
        return child
    }

    public func range(_ key: String) -> Range<Int>? { child(key).flatMap { found[$0] } }

    public func object(_ key: String) -> JSONPathView? {
        guard let child = child(key) else { return nil }
        return view(of: child)
    }

    public func firstObject(inArray key: String) -> JSONPathView? {
        guard let child = child(key), let element = paths.nodes[child].firstElement else { return nil }
        return view(of: element)
    }

    private func view(of node: Int) -> JSONPathView? {
        guard let range = found[node], bytes[range.lowerBound] == UInt8(ascii: "{") else { return nil }
        return JSONPathView(bytes: bytes, paths: paths, found: found, node: node)
    }
}

extension JSONScanner {
    /// Scans (and validates) the object at `position`, recording the value ranges of `node`'s
    /// children and descending into those that have paths below them. Recursion is bounded by
    /// the depth of the paths; everything else is skipped iteratively.
    mutating func scanObject(node: Int, paths: JSONPaths, found: inout [Range<Int>?], depth: Int) throws(Error) {
        guard depth < JSONScanner.maximumDepth else { throw error("nesting deeper than \(JSONScanner.maximumDepth)", .tooDeep) }
        try expect(UInt8(ascii: "{"))
        skipWhitespace()
        if peek == UInt8(ascii: "}") { position += 1; return }
        let children = paths.nodes[node].children
        while true {
            skipWhitespace()
            let keyStart = position
            try skipString()
            let keyBytes = UnsafeRawBufferPointer(rebasing: bytes[(keyStart + 1)..<(position - 1)])
            var match: Int?
            if !children.isEmpty {
                if keyBytes.contains(UInt8(ascii: "\\")) {
                    // An escaped key: compare its decoded text.
                    var keyScanner = JSONScanner(UnsafeRawBufferPointer(rebasing: bytes[..<position]))
                    keyScanner.position = keyStart
                    let key = Array(try keyScanner.readString().utf8)
                    match = children.first { paths.nodes[$0].key == key }
                } else {
                    match = paths.child(of: node, named: keyBytes)
                }
            }
            skipWhitespace()
            try expect(UInt8(ascii: ":"))
            skipWhitespace()
            let start = position
            if let match, found[match] == nil {
                let wanted = paths.nodes[match]
                if peek == UInt8(ascii: "{"), !wanted.children.isEmpty {
                    try scanObject(node: match, paths: paths, found: &found, depth: depth + 1)
                } else if peek == UInt8(ascii: "["), let element = wanted.firstElement {
                    try scanFirstElement(node: element, paths: paths, found: &found, depth: depth + 1)
                } else {
                    try skipValue(depth: depth + 1)
                }
                found[match] = start..<position
            } else {
                try skipValue(depth: depth + 1)
            }
            skipWhitespace()
            if peek == UInt8(ascii: ",") { position += 1; continue }
            try expect(UInt8(ascii: "}"))
            return
        }
    }

    /// Scans the array at `position`, recording its first element as `node` (descending into it
    /// when it is an object) and skipping the rest.
    private mutating func scanFirstElement(node: Int, paths: JSONPaths, found: inout [Range<Int>?], depth: Int) throws(Error) {
        guard depth < JSONScanner.maximumDepth else { throw error("nesting deeper than \(JSONScanner.maximumDepth)", .tooDeep) }
        try expect(UInt8(ascii: "["))
        skipWhitespace()
        if peek == UInt8(ascii: "]") { position += 1; return }
        var first = true
        while true {
            skipWhitespace()
            let start = position
            if first, peek == UInt8(ascii: "{"), !paths.nodes[node].children.isEmpty {
                try scanObject(node: node, paths: paths, found: &found, depth: depth + 1)
            } else {
                try skipValue(depth: depth + 1)
            }
            if first { found[node] = start..<position }
            first = false
            skipWhitespace()
            if peek == UInt8(ascii: ",") { position += 1; continue }
            try expect(UInt8(ascii: "]"))
            return
        }
    }
}

/// Keyed, lenient reading of one JSON object: a missing, `null` or mistyped member reads as nil.
/// ``JSONObjectView`` reads any key; ``JSONPathView`` only the keys of its ``JSONPaths``, faster.
public protocol JSONObjectReading {
    var bytes: UnsafeRawBufferPointer { get }
    /// The byte range of the member's value.
    func range(_ key: String) -> Range<Int>?
    func object(_ key: String) -> Self?
    /// The first element of the array `key`, when it is an object.
    func firstObject(inArray key: String) -> Self?
}

extension JSONObjectReading {
    /// Present and not `null`.
    public func has(_ key: String) -> Bool { range(key).map { !JSONScanner.isNull(in: bytes, at: $0) } ?? false }

    public func first(_ range: Range<Int>) -> UInt8 { bytes[range.lowerBound] }

    public func string(_ key: String) -> String? {
        guard let range = range(key), first(range) == UInt8(ascii: "\"") else { return nil }
        return try? JSONScanner.string(in: bytes, at: range) // a malformed string is a missing field
    }

    /// A JSON integer, an integral number, or a decimal string.
    public func int(_ key: String) -> Int? {
        guard let range = range(key) else { return nil }
        if let value = JSONScanner.integer(in: bytes, at: range) { return Int(exactly: value) }
        if first(range) == UInt8(ascii: "\"") { return string(key).flatMap { Int($0) } }
        return Double(String(decoding: UnsafeRawBufferPointer(rebasing: bytes[range]), as: UTF8.self)).flatMap { Int(exactly: $0) }
    }

    public func bool(_ key: String) -> Bool? {
        guard let range = range(key) else { return nil }
        switch first(range) {
        case UInt8(ascii: "t"): return true
        case UInt8(ascii: "f"): return false
        default: return nil
        }
    }

    public func raw(_ key: String) -> [UInt8]? {
        range(key).map { Array(bytes[$0]) }
    }
}
