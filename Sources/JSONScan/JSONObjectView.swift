/// Keyed, lenient access to a scanned JSON object without building it: each accessor finds the
/// member's byte range and reads just that value. Missing or mistyped members read as nil.
///
/// ```swift
/// body.withUnsafeBytes { bytes in
///     let root = JSONObjectView(bytes)
///     let account = root?.object("account")?.int("id")
/// }
/// ```
/// Valid only while `bytes` is.
public struct JSONObjectView: JSONObjectReading {
    public let bytes: UnsafeRawBufferPointer
    public let members: [(key: String, value: Range<Int>)]

    /// The top-level object of `bytes`; nil unless `bytes` is exactly one valid JSON object.
    public init?(_ bytes: UnsafeRawBufferPointer) {
        guard let members = try? JSONScanner.members(of: bytes) else { return nil }
        self.bytes = bytes
        self.members = members
    }

    /// The top-level object of `bytes`, or the scanner's error saying why it is not one.
    public init(validating bytes: UnsafeRawBufferPointer) throws(JSONScanner.Error) {
        members = try JSONScanner.members(of: bytes)
        self.bytes = bytes
    }

    /// A member of a view that was validated when it was made (every view is): not checked again.
    private init(validated bytes: UnsafeRawBufferPointer, members: [(key: String, value: Range<Int>)]) {
        self.bytes = bytes
        self.members = members
    }

    public func range(_ key: String) -> Range<Int>? {
        // Chatwoot objects have at most a few dozen members: a linear search beats hashing.
        for member in members where member.key == key { return member.value }
        return nil
    }

    public func object(_ key: String) -> JSONObjectView? {
        range(key).flatMap(object(at:))
    }

    /// The object at `range`, a value range of this view (``firstElement(_:)``, say).
    public func object(at range: Range<Int>) -> JSONObjectView? {
        // This view's bytes were validated when it was made, so nested values need only splitting.
        guard range.upperBound <= bytes.count, let members = JSONScanner.members(ofValidated: bytes, at: range) else { return nil }
        return JSONObjectView(validated: bytes, members: members)
    }

    public func firstObject(inArray key: String) -> JSONObjectView? {
        firstElement(key).flatMap(object(at:))
    }

    /// The first element of the array `key` (the others are not scanned).
    public func firstElement(_ key: String) -> Range<Int>? {
        guard let range = range(key), range.upperBound <= bytes.count else { return nil }
        return JSONScanner.elements(ofValidated: bytes, at: range, limit: 1)?.first
    }
}
