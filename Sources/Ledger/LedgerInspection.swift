/// The result of ``LedgerInspection/verify(directory:dictionaries:expectedHead:progress:)``.
public struct VerifyReport: Sendable {
    public var segments: [SegmentSummary] = []
    public var frames = 0
    public var events = 0
    public var headSeq: Seq = 0
    public var headHash: [UInt8] = FrameFormat.zeroHash
    public var tornTail: TornTail?
    /// The first damage found; nil when the ledger is intact.
    public var problem: LedgerError?
    public var isIntact: Bool { problem == nil }
    public init() {}

    /// Reports damage unless the head hash is `expected` or starts with it (a head kept
    /// elsewhere: it catches a ledger rewritten whole, chain and all). nil checks nothing.
    public mutating func require(head expected: String?) {
        guard problem == nil, let expected else { return }
        let wanted = expected.lowercased()
        guard wanted.isEmpty || !headHash.hexString.hasPrefix(wanted) else { return }
        problem = LedgerError(.corrupted, "head hash \(headHash.hexString) differs from the expected \(wanted): the ledger was rewritten or is not the one you recorded")
    }
}

/// The result of ``LedgerInspection/stats(directory:dictionaries:progress:)``.
public struct LedgerStats: Sendable {
    public var events = 0
    public var frames = 0
    public var segments = 0
    /// Segments by their format (1: bodies inline; 2: bodies with meta last in each frame). A
    /// ledger with any format-2 segment cannot be read by a build from before format 2.
    public var segmentsByFormat: [UInt32: Int] = [:]
    /// Uncompressed size of the encoded events (bodies, streams, types, fixed fields).
    public var rawBytes: Int64 = 0
    /// Sum of the event bodies alone (the JSON as received).
    public var bodyBytes: Int64 = 0
    /// Bytes on disk in segment files.
    public var storedBytes: Int64 = 0
    public var eventsByType: [String: Int] = [:]
    public var headSeq: Seq = 0
    public var headHash: [UInt8] = FrameFormat.zeroHash
    public var firstTime: Int64?
    public var lastTime: Int64?
    public var tornTail: TornTail?
    public var compressionRatio: Double { storedBytes > 0 ? Double(bodyBytes) / Double(storedBytes) : 0 }
    public var headHashHex: String { headHash.hexString }
    public init() {}
}

/// Read-only whole-ledger checks and summaries. They take no lock and may run beside a writer.
public enum LedgerInspection {
    /// Recomputes every CRC and the whole SHA-256 chain, decompresses and decodes every frame.
    /// Damage is returned in ``VerifyReport/problem`` (with segment, offset and seq), not thrown.
    /// - Parameter expectedHead: a head hash kept elsewhere; a mismatch is reported as damage
    ///   (it catches an attacker who rewrote the whole chain after the point they changed).
    /// - Throws: only when the directory is not a readable ledger.
    public static func verify(directory: LedgerDirectory, dictionaries: [CompressionDictionary] = CompressionDictionary.builtIn,
                              expectedHead: String? = nil, progress: ((Int) -> Void)? = nil) throws -> VerifyReport {
        let ledgerID = try directory.readManifest()
        let iterator = try FrameIterator(directory: directory, ledgerID: ledgerID, dictionaries: dictionaries)
        let inflater = try Inflater()
        var report = VerifyReport()
        do {
            while let frame = try iterator.next() {
                _ = try frame.events(using: inflater)
                report.frames += 1
                report.events += Int(frame.header.count)
                if report.frames % 1024 == 0 { progress?(report.events) }
            }
        } catch let error as LedgerError where error.kind == .corrupted {
            report.problem = error
        }
        report.segments = iterator.summaries
        report.headSeq = iterator.expectedSeq - 1
        report.headHash = iterator.headHash
        report.tornTail = iterator.torn
        if report.problem == nil, let damage = acknowledgedDamage(directory: directory, torn: iterator.torn, readHead: report.headSeq) {
            report.problem = damage
        }
        report.require(head: expectedHead)
        return report
    }

    /// A torn last frame is what a crash mid-write leaves, unless the index recorded it as
    /// acknowledged: then stored events are lost, and it is damage (the writer refuses to open;
    /// `repair` moves it aside). Returns that damage, or nil: no torn tail, no index, nothing
    /// acknowledged past `readHead`, or a writer still appending (the segment grew since it was
    /// read, so the "torn" frame was a write in progress).
    public static func acknowledgedDamage(directory: LedgerDirectory, torn: TornTail?, readHead: Seq) -> LedgerError? {
        guard let torn, let ledgerID = try? directory.readManifest(),
              let index = try? LedgerIndex(path: directory.indexPath, ledgerID: ledgerID, readOnly: true),
              let indexed = (try? index.lastFrame())??.lastSeq, indexed > readHead else { return nil }
        if let size = try? FileSystem.fileSize(directory.segmentPath(torn.segment)), size > torn.offset + torn.bytes { return nil }
        return LedgerError(.corrupted, "the last frame is damaged (\(torn.reason)) but the index shows it was acknowledged: events through seq \(indexed) "
                           + "were stored and only \(readHead) can be read. Run `ledgerbot ledger repair --data \(directory.dataPath)` to move the damage aside",
                           location: .init(segment: torn.segment, offset: torn.offset, seq: readHead + 1))
    }

    /// Counts events, bytes and types by reading the whole ledger.
    public static func stats(directory: LedgerDirectory, dictionaries: [CompressionDictionary] = CompressionDictionary.builtIn,
                             progress: ((Int) -> Void)? = nil) throws -> LedgerStats {
        let ledgerID = try directory.readManifest()
        let iterator = try FrameIterator(directory: directory, ledgerID: ledgerID, dictionaries: dictionaries)
        let inflater = try Inflater()
        var stats = LedgerStats()
        while let frame = try iterator.next() {
            stats.frames += 1
            for event in try frame.events(using: inflater) {
                stats.events += 1
                stats.bodyBytes += Int64(event.body.count)
                stats.eventsByType[event.type, default: 0] += 1
                if stats.firstTime == nil { stats.firstTime = event.time }
                stats.lastTime = event.time
            }
            if stats.frames % 1024 == 0 { progress?(stats.events) }
        }
        stats.segments = iterator.summaries.count
        for summary in iterator.summaries { stats.segmentsByFormat[summary.format, default: 0] += 1 }
        stats.rawBytes = iterator.summaries.reduce(0) { $0 + $1.rawBytes }
        stats.storedBytes = iterator.summaries.reduce(0) { $0 + $1.fileBytes }
        stats.headSeq = iterator.expectedSeq - 1
        stats.headHash = iterator.headHash
        stats.tornTail = iterator.torn
        return stats
    }
}
