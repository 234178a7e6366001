/// A Chatwoot (Rails) enum that keeps values it does not know instead of failing.
///
/// Chatwoot writes enums as strings in webhook top-level fields and REST request bodies, but as
/// their integer codes in push shapes and REST responses (docs/chatwoot-protocol.md §5). Conforming types
/// decode from either form and always encode the string form. An unknown string is kept as
/// `.other(string)`; an unknown integer code as `.other("<code>")`.
public protocol ChatwootEnum: RawRepresentable, Codable, Hashable, Sendable, CustomStringConvertible
where RawValue == String {
    /// Creates a value from its wire string, keeping unknown strings.
    init(rawValue: String)

    /// The value for a Rails integer code, or `nil` when the code is unknown or the enum has none.
    static func fromCode(_ code: Int) -> Self?
}

extension ChatwootEnum {
    public static func fromCode(_ code: Int) -> Self? { nil }

    public var description: String { rawValue }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let string = try? container.decode(String.self) {
            self.init(rawValue: string)
        } else if let code = try? container.decode(Int.self) {
            self = Self.fromCode(code) ?? Self(rawValue: String(code))
        } else {
            throw DecodingError.typeMismatch(
                Self.self,
                .init(codingPath: decoder.codingPath, debugDescription: "Expected a string or an integer code")
            )
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}
