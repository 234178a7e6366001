extension JSONValue {
    /// The member named `key` when this is an object; `nil` otherwise or when absent.
    public subscript(key: String) -> JSONValue? {
        if case .object(let object) = self { return object[key] }
        return nil
    }

    /// The element at `index` when this is an array and the index is in range; `nil` otherwise.
    public subscript(index: Int) -> JSONValue? {
        if case .array(let array) = self, array.indices.contains(index) { return array[index] }
        return nil
    }

    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    public var stringValue: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    public var boolValue: Bool? {
        if case .bool(let value) = self { return value }
        return nil
    }

    /// The value as an `Int`: `.int`, or a `.double` with no fractional part that fits.
    public var intValue: Int? {
        switch self {
        case .int(let value): return value
        case .double(let value): return Int(exactly: value)
        default: return nil
        }
    }

    /// The value as a `Double`: `.double` or `.int`.
    public var doubleValue: Double? {
        switch self {
        case .double(let value): return value
        case .int(let value): return Double(value)
        default: return nil
        }
    }

    public var arrayValue: [JSONValue]? {
        if case .array(let value) = self { return value }
        return nil
    }

    public var objectValue: [String: JSONValue]? {
        if case .object(let value) = self { return value }
        return nil
    }

    /// A scalar rendered as text: strings as they are, numbers and booleans in JSON notation.
    /// `nil` for `null`, arrays and objects.
    ///
    /// Used where Chatwoot documents a string but a client could send a number (submitted values).
    public var scalarText: String? {
        switch self {
        case .string(let value): return value
        case .int(let value): return String(value)
        case .double(let value): return String(value)
        case .bool(let value): return value ? "true" : "false"
        case .null, .array, .object: return nil
        }
    }

    /// The value at a dotted path: object members by name, array elements by index
    /// (`shipment.eta`, `items.0.title`). An empty path is the value itself.
    public func value(atPath path: some StringProtocol) -> JSONValue? {
        var current = self
        for part in path.split(separator: ".") {
            if let index = Int(part), let element = current[index] {
                current = element
            } else if let next = current[String(part)] {
                current = next
            } else {
                return nil
            }
        }
        return current
    }
}
