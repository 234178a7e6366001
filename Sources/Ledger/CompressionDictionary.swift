import Foundation

/// A zlib preset dictionary, named by a stable id recorded in every segment header,
/// so segments written with an older dictionary stay readable after the current one changes.
///
/// Id 0 means "no dictionary". Ids are never reused.
public struct CompressionDictionary: Sendable, Equatable {
    public let id: UInt32
    public let bytes: [UInt8]
    /// zlib's id of the dictionary (its Adler-32), computed once: zlib would otherwise hash the
    /// whole 21 KiB dictionary again for every frame it inflates.
    let adler: UInt32

    public init(id: UInt32, bytes: [UInt8]) {
        self.id = id
        self.bytes = bytes
        adler = bytes.withUnsafeBytes { adler32Checksum($0) }
    }

    init(id: UInt32, base64: String) {
        guard let data = Data(base64Encoded: base64, options: .ignoreUnknownCharacters) else {
            preconditionFailure("built-in compression dictionary \(id) is not valid base64")
        }
        self.init(id: id, bytes: [UInt8](data))
    }

    /// Plain zlib, no preset dictionary.
    public static let none = CompressionDictionary(id: 0, bytes: [])

    /// The dictionary new segments are written with.
    public static let current = chatwootV1

    /// Every dictionary this build can read. Never remove an entry: old segments name it.
    public static let builtIn: [CompressionDictionary] = [.none, chatwootV1]
}
