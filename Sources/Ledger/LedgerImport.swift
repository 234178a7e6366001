#if canImport(Glibc)
import Glibc
#endif

/// Imports JSON Lines (the ``JSONLines`` format) into a ledger.
///
/// The whole input is validated first, so a bad line appends nothing and the error names its
/// line number. Seqs are re-assigned after the ledger's head; causations that point inside the
/// imported file follow their events, and causations that point before it must already exist.
/// Events are appended in frames of up to `batchBytes`; each frame is atomic, the whole import
/// is not (a crash mid-import leaves a prefix, which `ledger verify` shows as intact).
///
/// Importing again is safe where seqs were kept: the file's events, from the first on, that the
/// ledger holds at the same seqs and equal (the same file imported before, or the part a stopped
/// import stored) are skipped, and the rest is appended — at its own seqs where they continue
/// the head, else renumbered after it (another writer appended meanwhile). A file whose first
/// events differ from the ledger's is another ledger's, appended after the head (a merge); a
/// merge run twice appends twice, as its renumbered events cannot be told from new ones.
public enum LedgerImport {
    public struct Report: Sendable, Equatable {
        public var events = 0
        public var firstSeq: Seq = 0
        public var lastSeq: Seq = 0
        /// True when the seqs in the file were kept as they were.
        public var seqsPreserved = true
        /// Events of the file the ledger already held at the same seqs, equal: not appended again.
        public var alreadyHeld = 0
    }

    public struct LineError: Error, CustomStringConvertible {
        public var line: Int
        public var reason: String
        public var description: String { "line \(line): \(reason); nothing was imported" }
    }

    /// - Parameters:
    ///   - path: a regular file (read twice: validate, then append).
    ///   - validating: told the lines checked so far during the first pass (no total: the
    ///     file's line count is what that pass finds out).
    public static func run(path: String, into ledger: any LedgerStore, batchBytes: Int = 1 << 20,
                           validating: ((Int) -> Void)? = nil, progress: ((Int, Int) -> Void)? = nil) async throws -> Report {
        let head = await ledger.headSeq()
        // Pass 1: validate every line and collect the seqs, which must increase.
        var seqs: [Seq] = []
        try withLines(path) { reader in
            while try reader.next({ line in
                if reader.lineNumber % 4096 == 0 { validating?(reader.lineNumber) }
                if line.isEmpty { return }
                let event: LedgerEvent
                do { event = try JSONLines.decode(line) } catch let error as JSONLines.LineError { throw LineError(line: reader.lineNumber, reason: error.reason) }
                // The storage limits too (meta, stream, type sizes): checked here, a line that
                // breaks them cannot fail the append after earlier batches were stored.
                do { try event.draft.validate() } catch let error as LedgerError { throw LineError(line: reader.lineNumber, reason: error.message) }
                if let last = seqs.last, event.seq <= last {
                    throw LineError(line: reader.lineNumber, reason: "seq \(event.seq) does not follow seq \(last)")
                }
                if let causation = event.causation, causation >= event.seq {
                    throw LineError(line: reader.lineNumber, reason: "causation \(causation) is not before seq \(event.seq)")
                }
                if let causation = event.causation, causation < (seqs.first ?? event.seq), causation > head {
                    throw LineError(line: reader.lineNumber, reason: "causation \(causation) refers to an event that is neither in the file nor in the ledger (head \(head))")
                }
                if let causation = event.causation, causation >= (seqs.first ?? event.seq), binarySearch(seqs, causation) == nil {
                    throw LineError(line: reader.lineNumber, reason: "causation \(causation) refers to a seq missing from the file")
                }
                seqs.append(event.seq)
            }) {}
        }
        var report = Report()
        guard !seqs.isEmpty else { return report }
        // The file's events at seqs the ledger has (seqs increase, so they come first): those of
        // them, from the first on, that the ledger holds equal are not appended again.
        var overlap = 0
        while overlap < seqs.count, seqs[overlap] <= head { overlap += 1 }
        let held = overlap > 0 ? try await ledger.heldPrefix(ofLinesIn: path, count: overlap) : 0
        report.alreadyHeld = held
        let rest = seqs[held...]
        let preserved = rest.isEmpty || (rest.first == head + 1 && rest.last == head + Seq(rest.count))
        report.seqsPreserved = preserved
        let lastHeld = held > 0 ? seqs[held - 1] : 0
        func mapped(_ seq: Seq) -> Seq {
            if preserved || seq <= lastHeld { return seq } // held: the ledger has it at that seq
            guard let index = binarySearch(seqs, seq) else { return seq } // before the file: already in the ledger
            return head + 1 + Seq(index - held)
        }
        // Pass 2: append.
        var batch: [EventDraft] = []
        var bytes = 0
        var appended = 0
        var first: Seq?
        var last: Seq = head
        func flush() async throws {
            guard !batch.isEmpty else { return }
            let range = try await ledger.append(batch)
            // Causations were mapped for seqs that follow one another from the head: another
            // writer appending meanwhile (a `serve` on the same PostgreSQL ledger) would make
            // them point at the wrong events. Stop, saying how far the import got.
            guard range.lowerBound == last + 1 else {
                throw LedgerError(.locked, "another writer appended to the ledger during the import (expected seq \(last + 1), got \(range.lowerBound)); \(appended) events were imported before it, up to seq \(last), and the batch stored as seq \(range.lowerBound) … \(range.upperBound) may name wrong causations; stop the other writer (serve) and import the rest")
            }
            first = first ?? range.lowerBound
            last = range.upperBound
            appended += batch.count
            batch.removeAll(keepingCapacity: true)
            bytes = 0
            progress?(appended, seqs.count - held)
        }
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw LedgerError.io("cannot open", path: path, errno: errno) }
        defer { closeDescriptor(fd) }
        let reader = LineReader(fd: fd, path: path)
        var decoded: LedgerEvent?
        var skipped = 0
        while try reader.next({ line in decoded = line.isEmpty ? nil : try JSONLines.decode(line) }) {
            guard var event = decoded else { continue }
            if skipped < held { skipped += 1; continue }
            event.causation = event.causation.map(mapped)
            batch.append(event.draft)
            bytes += event.body.count
            if bytes >= batchBytes || batch.count >= 4096 { try await flush() }
        }
        try await flush()
        report.events = appended
        report.firstSeq = first ?? 0
        report.lastSeq = last
        return report
    }

    private static func withLines(_ path: String, _ body: (LineReader) throws -> Void) throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw LedgerError.io("cannot open", path: path, errno: errno) }
        defer { closeDescriptor(fd) }
        try body(LineReader(fd: fd, path: path))
    }

    private static func binarySearch(_ seqs: [Seq], _ target: Seq) -> Int? {
        var low = 0, high = seqs.count - 1
        while low <= high {
            let mid = (low + high) / 2
            if seqs[mid] == target { return mid }
            if seqs[mid] < target { low = mid + 1 } else { high = mid - 1 }
        }
        return nil
    }
}

extension LedgerStore {
    /// How many of the first `count` events of a JSON Lines file the ledger holds, from the
    /// first on, each equal to the ledger's event at its seq. Reads both in order and stops at
    /// the first difference.
    func heldPrefix(ofLinesIn path: String, count: Int) async throws -> Int {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw LedgerError.io("cannot open", path: path, errno: errno) }
        defer { closeDescriptor(fd) }
        let reader = LineReader(fd: fd, path: path)
        var decoded: LedgerEvent?
        var stored: [LedgerEvent] = []
        var index = 0
        var compared = 0
        while compared < count, try reader.next({ line in decoded = line.isEmpty ? nil : try JSONLines.decode(line) }) {
            guard let event = decoded else { continue }
            while index < stored.count, stored[index].seq < event.seq { index += 1 }
            if index == stored.count {
                stored = try await read(from: event.seq, limit: 1024)
                index = 0
            }
            guard index < stored.count, stored[index] == event else { return compared }
            compared += 1
        }
        return compared
    }
}
