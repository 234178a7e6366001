import Foundation

/// Compresses one event body at a time with the ledger's preset dictionaries — what a store
/// that keeps a row per event writes (the PostgreSQL backend). The file ledger compresses whole
/// frames with the same dictionaries; both name the dictionary by its stable id.
///
/// Thread-safe: zlib streams are pooled, one per concurrent caller.
public final class BodyCodec: @unchecked Sendable {
    public let dictionary: CompressionDictionary
    private let level: Int32
    private let readable: [UInt32: CompressionDictionary]
    private let lock = NSLock()
    private var deflaters: [Deflater] = []
    private var inflaters: [Inflater] = []

    public init(level: Int32 = 6, dictionary: CompressionDictionary = .current, additionalDictionaries: [CompressionDictionary] = []) {
        self.level = level
        self.dictionary = dictionary
        var readable: [UInt32: CompressionDictionary] = [:]
        for d in [dictionary] + additionalDictionaries + CompressionDictionary.builtIn where readable[d.id] == nil { readable[d.id] = d }
        self.readable = readable
    }

    /// The body compressed as one zlib stream with ``dictionary``.
    public func compress(_ body: [UInt8]) throws -> [UInt8] {
        let deflater = try takeDeflater()
        defer { give(deflater) }
        return try deflater.compress(body)
    }

    /// - Throws: ``LedgerError/Kind/corrupted`` when the bytes do not inflate to `rawLength` bytes,
    ///   or name a dictionary this build does not know.
    public func decompress(_ bytes: UnsafeRawBufferPointer, dictionary id: UInt32, rawLength: Int) throws -> [UInt8] {
        guard let dictionary = readable[id] else {
            throw LedgerError(.corrupted, "event body compressed with dictionary \(id), which this build does not know (a newer Ledgerbot wrote it?)")
        }
        guard rawLength >= 0 else { throw LedgerError(.corrupted, "negative body length \(rawLength)") }
        let inflater = try takeInflater()
        defer { give(inflater) }
        do {
            // No checksum of its own here (a database row): the zlib trailer's is checked.
            return try inflater.decompress(bytes, rawLength: rawLength, dictionary: dictionary, verifyChecksum: true)
        } catch let error as InflateError {
            throw LedgerError(.corrupted, "event body does not decompress: \(error.message)")
        }
    }

    private func takeDeflater() throws -> Deflater {
        lock.lock()
        if let d = deflaters.popLast() { lock.unlock(); return d }
        lock.unlock()
        return try Deflater(level: level, dictionary: dictionary.bytes)
    }

    private func give(_ deflater: Deflater) {
        lock.lock(); deflaters.append(deflater); lock.unlock()
    }

    private func takeInflater() throws -> Inflater {
        lock.lock()
        if let i = inflaters.popLast() { lock.unlock(); return i }
        lock.unlock()
        return try Inflater()
    }

    private func give(_ inflater: Inflater) {
        lock.lock(); inflaters.append(inflater); lock.unlock()
    }
}
