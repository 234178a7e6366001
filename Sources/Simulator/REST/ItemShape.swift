import Chatwoot
import Foundation
import JSONScan

/// The keys of one `content_attributes.items[]` entry, in the order the client sent them.
///
/// Chatwoot's error message lists invalid keys in request order, which a decoded dictionary loses,
/// so they are read from the raw body with ``JSONScanner``. The body has been validated as JSON
/// before; a value that cannot be scanned (a JSON-encoded `content_attributes` string that is not
/// JSON) counts as absent.
struct ItemShape: Sendable, Hashable {
    /// `nil` when the item is not an object.
    var keys: [String]?
    /// Cards: the keys of each `actions[]` entry (`nil` for an entry that is not an object);
    /// `nil` when `actions` is absent or not an array.
    var actionKeys: [[String]?]?
    /// `true` when `actions` is absent, `null`, empty or an empty string (Ruby's `blank?`).
    var actionsBlank: Bool
    /// For an item that is not an object: how Ruby names its class in a `NoMethodError`
    /// (`"an instance of String"`, `"nil"`).
    var rubyClass: String?

    /// The items of `content_attributes` in a message-create body; `nil` when there is no `items`
    /// array. `content_attributes` may be an object or a JSON-encoded string (docs/chatwoot-protocol.md §7.2).
    static func items(inBody body: Data) -> [ItemShape]? {
        Array(body).withUnsafeBytes { bytes -> [ItemShape]? in
            guard let members = try? JSONScanner.members(of: bytes),
                let attributes = members.last(where: { $0.key == "content_attributes" })?.value
            else { return nil }
            if bytes[attributes.lowerBound] == UInt8(ascii: "\"") {
                guard let encoded = try? JSONScanner.string(in: bytes, at: attributes) else { return nil }
                return Array(encoded.utf8).withUnsafeBytes { inner in
                    items(inObject: inner, at: 0..<inner.count)
                }
            }
            return items(inObject: bytes, at: attributes)
        }
    }

    private static func items(inObject bytes: UnsafeRawBufferPointer, at range: Range<Int>) -> [ItemShape]? {
        guard let members = try? JSONScanner.members(in: bytes, at: trimmed(bytes, range)),
            let items = members.last(where: { $0.key == "items" })?.value,
            bytes[items.lowerBound] == UInt8(ascii: "["),
            let elements = try? JSONScanner.elements(in: bytes, at: items)
        else { return nil }
        return elements.map { shape(of: bytes, at: $0) }
    }

    private static func shape(of bytes: UnsafeRawBufferPointer, at range: Range<Int>) -> ItemShape {
        guard bytes[range.lowerBound] == UInt8(ascii: "{"),
            let members = try? JSONScanner.members(in: bytes, at: range)
        else {
            return ItemShape(keys: nil, actionKeys: nil, actionsBlank: true, rubyClass: rubyClass(of: bytes[range.lowerBound]))
        }
        let actions = members.last(where: { $0.key == "actions" })?.value
        var actionKeys: [[String]?]?
        var blank = true
        if let actions {
            let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[actions]), as: UTF8.self)
            blank = ["null", "[]", "\"\"", "{}", "false"].contains(text.filter { !$0.isWhitespace })
            if bytes[actions.lowerBound] == UInt8(ascii: "["), let entries = try? JSONScanner.elements(in: bytes, at: actions) {
                actionKeys = entries.map { entry in
                    guard bytes[entry.lowerBound] == UInt8(ascii: "{") else { return nil }
                    return (try? JSONScanner.members(in: bytes, at: entry))?.map(\.key)
                }
            }
        }
        return ItemShape(keys: members.map(\.key), actionKeys: actionKeys, actionsBlank: blank, rubyClass: nil)
    }

    private static func rubyClass(of firstByte: UInt8) -> String {
        switch firstByte {
        case UInt8(ascii: "\""): "an instance of String"
        case UInt8(ascii: "["): "an instance of Array"
        case UInt8(ascii: "t"): "true"
        case UInt8(ascii: "f"): "false"
        case UInt8(ascii: "n"): "nil"
        default: "an instance of Integer"
        }
    }

    /// `range` without surrounding white space (a JSON-encoded string may have some).
    private static func trimmed(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) -> Range<Int> {
        let space: Set<UInt8> = [0x20, 0x09, 0x0A, 0x0D]
        var lower = range.lowerBound
        var upper = range.upperBound
        while lower < upper, space.contains(bytes[lower]) { lower += 1 }
        while upper > lower, space.contains(bytes[upper - 1]) { upper -= 1 }
        return lower..<upper
    }
}
