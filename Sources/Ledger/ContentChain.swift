import Crypto

/// A hash chain over the ledger's *events*, independent of how a backend stores them:
/// `link(n) = SHA-256(link(n-1) ‖ seq n as 8 bytes big-endian ‖ SHA-256(event n))`, starting from 32
/// zero bytes, where an event's bytes are its canonical encoding (time, causation, stream, type,
/// body, meta — the frame payload layout).
///
/// The file ledger also chains its frames (a storage-level check); this chain is what two
/// backends can agree on: `ledger copy` proves a copy equal by the same count and the same final
/// link on both sides, and the PostgreSQL backend stores each event's link in its row.
public struct ContentChain: Sendable, Equatable {
    public static let genesis = [UInt8](repeating: 0, count: 32)

    public private(set) var count: UInt64 = 0
    public private(set) var head: [UInt8] = ContentChain.genesis
    public private(set) var lastSeq: Seq = 0

    public init() {}

    /// The chain as it stands after `seq`, whose link is `link`: for checking a read that starts
    /// in the middle of a ledger. `count` counts the events added from here.
    public init(after seq: Seq, link: [UInt8]) {
        lastSeq = seq
        head = link
    }

    /// The digest of one event's canonical encoding (computable in parallel, before seqs are known).
    public static func digest(_ draft: EventDraft) -> [UInt8] {
        var writer = ByteWriter(capacity: EventCoding.encodedSize(draft))
        EventCoding.append(draft, to: &writer)
        return Array(SHA256.hash(data: writer.bytes))
    }

    public static func link(previous: [UInt8], seq: Seq, digest: [UInt8]) -> [UInt8] {
        var hasher = SHA256()
        hasher.update(data: previous)
        var big = seq.bigEndian
        withUnsafeBytes(of: &big) { hasher.update(bufferPointer: $0) }
        hasher.update(data: digest)
        return Array(hasher.finalize())
    }

    /// Extends the chain with the next event.
    /// - Throws: ``LedgerError/Kind/corrupted`` when the seq does not follow the previous one.
    public mutating func add(_ event: LedgerEvent) throws {
        guard event.seq == lastSeq + 1 else {
            throw LedgerError(.corrupted, "seq \(event.seq) follows seq \(lastSeq): the ledger has a gap")
        }
        head = Self.link(previous: head, seq: event.seq, digest: Self.digest(event.draft))
        lastSeq = event.seq
        count += 1
    }
}
