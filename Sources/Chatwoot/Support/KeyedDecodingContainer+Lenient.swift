// Lenient field decoding.
//
// Contract of every model in this module: a field that is missing, `null` or of an unexpected
// type decodes as `nil` instead of failing the whole payload. Chatwoot's payloads differ between
// versions and channels (docs/chatwoot-protocol.md §0, §10.3), and a delivery that cannot be decoded is worse
// than one with a missing field. Discarding the per-field error is therefore intended here.

extension KeyedDecodingContainer {
    /// The value for `key`, or `nil` if it is missing, `null` or not decodable as `T`.
    func lenient<T: Decodable>(_ type: T.Type = T.self, forKey key: Key) -> T? {
        (try? decodeIfPresent(T.self, forKey: key)) ?? nil  // see file comment: leniency is the contract
    }

    /// An integer given as a JSON integer, an integral JSON number, or a decimal string.
    func lenientInt(forKey key: Key) -> Int? {
        if let value = lenient(Int.self, forKey: key) { return value }
        if let value = lenient(Double.self, forKey: key) { return Int(exactly: value) }
        if let value = lenient(String.self, forKey: key) { return Int(value) }
        return nil
    }

    /// A floating-point number given as a JSON number or a decimal string.
    func lenientDouble(forKey key: Key) -> Double? {
        if let value = lenient(Double.self, forKey: key) { return value }
        if let value = lenient(String.self, forKey: key) { return Double(value) }
        return nil
    }

    /// An array in which elements that fail to decode are skipped rather than failing the array.
    func lenientArray<T: Decodable>(_ type: T.Type = T.self, forKey key: Key) -> [T]? {
        guard var container = try? nestedUnkeyedContainer(forKey: key) else { return nil }
        var result: [T] = []
        while !container.isAtEnd {
            if let element = try? container.decode(T.self) {
                result.append(element)
            } else if (try? container.decode(JSONValue.self)) == nil {
                // Cannot even skip the element; stop rather than loop forever.
                break
            }
        }
        return result
    }
}
