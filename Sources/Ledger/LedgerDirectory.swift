#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The files of one ledger under a data directory:
///
/// ```
/// DATA/ledger/LEDGER            manifest: format, version, ledger id
/// DATA/ledger/LOCK              writer lock (flock), holds the writer's pid
/// DATA/ledger/seg-….lbs         segments, named by their first seq
/// DATA/ledger/quarantine/       bytes moved aside by an explicit repair (never deleted)
/// DATA/index.sqlite             derived index and projection checkpoints (rebuildable)
/// ```
public struct LedgerDirectory: Sendable {
    public let dataPath: String
    public var ledgerPath: String { dataPath + "/ledger" }
    public var manifestPath: String { ledgerPath + "/LEDGER" }
    public var lockPath: String { ledgerPath + "/LOCK" }
    public var quarantinePath: String { ledgerPath + "/quarantine" }
    public var indexPath: String { dataPath + "/index.sqlite" }

    static let manifestFormat = "ledgerbot-ledger"
    static let manifestVersion = 1

    public init(dataPath: String) {
        var path = dataPath
        while path.count > 1 && path.hasSuffix("/") { path.removeLast() }
        self.dataPath = path
    }

    func segmentPath(_ name: String) -> String { ledgerPath + "/" + name }

    /// Reads the manifest and returns the ledger id.
    /// - Throws: ``LedgerError/Kind/notFound`` when there is no ledger, ``LedgerError/Kind/foreign``
    ///   when the directory holds something else.
    public func readManifest() throws -> [UInt8] {
        guard FileSystem.exists(dataPath) else {
            throw LedgerError(.notFound, "data directory \(dataPath) does not exist; name the data directory of an existing ledger, or create one with `ledgerbot ledger import` or `ledgerbot serve`")
        }
        guard FileSystem.exists(ledgerPath) else {
            throw LedgerError(.notFound, "no ledger in \(dataPath) (expected \(ledgerPath)/); is --data the right directory?")
        }
        guard let text = try? FileSystem.readText(manifestPath) else {
            throw LedgerError(.foreign, "\(ledgerPath) exists but has no LEDGER manifest: it was not written by Ledgerbot; refusing to touch it")
        }
        var fields: [String: String] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: "=", maxSplits: 1)
            if parts.count == 2 { fields[String(parts[0])] = String(parts[1]) }
        }
        guard fields["format"] == Self.manifestFormat else {
            throw LedgerError(.foreign, "\(manifestPath) does not describe a Ledgerbot ledger")
        }
        guard fields["version"] == String(Self.manifestVersion) else {
            throw LedgerError(.foreign, "\(manifestPath) has ledger format version \(fields["version"] ?? "?"); this build reads version \(Self.manifestVersion)")
        }
        guard let idHex = fields["id"], let id = [UInt8](hex: idHex), id.count == 16 else {
            throw LedgerError(.foreign, "\(manifestPath) has no valid ledger id")
        }
        return id
    }

    /// Creates the directories and the manifest of a new ledger.
    func create() throws -> [UInt8] {
        try FileSystem.makeDirectories(ledgerPath)
        var generator = SystemRandomNumberGenerator()
        let id = (0..<16).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let text = "format=\(Self.manifestFormat)\nversion=\(Self.manifestVersion)\nid=\(id.hexString)\n"
        try FileSystem.writeDurably(manifestPath, contents: Array(text.utf8))
        try FileSystem.syncDirectory(ledgerPath)
        try FileSystem.syncDirectory(dataPath)
        return id
    }

    /// Segment file names in seq order.
    func segmentNames() throws -> [String] {
        let names = try FileSystem.list(ledgerPath)
        return names.compactMap { name in SegmentFormat.firstSeq(fromFileName: name).map { ($0, name) } }
            .sorted { $0.0 < $1.0 }
            .map(\.1)
    }
}

extension Array where Element == UInt8 {
    init?(hex: String) {
        let chars = Array(hex.utf8)
        guard chars.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(chars.count / 2)
        func nibble(_ c: UInt8) -> UInt8? {
            switch c {
            case 48...57: return c - 48
            case 97...102: return c - 87
            case 65...70: return c - 55
            default: return nil
            }
        }
        var i = 0
        while i < chars.count {
            guard let hi = nibble(chars[i]), let lo = nibble(chars[i + 1]) else { return nil }
            bytes.append(hi << 4 | lo)
            i += 2
        }
        self = bytes
    }
}
