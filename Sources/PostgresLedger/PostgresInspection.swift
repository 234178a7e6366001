import Ledger
import Logging
import PostgresNIO

extension PostgresLedger {
    /// Reads every event in seq order, decompresses every body and recomputes every link of the
    /// ``ContentChain``; compares each with the stored link, and the last with the head row.
    /// Damage (a gap, an altered row, a body that does not inflate) is returned in
    /// ``VerifyReport/problem`` naming the seq, not thrown. Runs beside writers: it checks up to
    /// the head committed when it starts.
    /// - Parameter expectedHead: a head link kept elsewhere (hex); a mismatch is damage.
    public func verify(expectedHead: String? = nil, batch: Int = 5000, progress: ((Int) -> Void)? = nil) async throws -> VerifyReport {
        let (head, headLink) = try await storedHead()
        var report = VerifyReport()
        report.headHash = ContentChain.genesis
        var chain = ContentChain()
        var next: Seq = 1
        scan: while next <= head {
            let rows = try await fetchRows(from: next, through: head, limit: batch)
            guard !rows.isEmpty else {
                report.problem = LedgerError(.corrupted, "seq \(next) … \(head) are missing from ledgerbot_events although the head row says \(head)")
                break
            }
            for raw in rows {
                let row: StoredEvent
                do {
                    row = try decode(raw)
                    try Self.extend(&chain, with: row)
                } catch let error as LedgerError {
                    report.problem = error
                    break scan
                }
                report.events += 1
                report.headSeq = row.event.seq
                report.headHash = chain.head
            }
            next = report.headSeq + 1
            progress?(report.events)
        }
        if report.problem == nil, report.headSeq == head, report.headHash != headLink {
            report.problem = LedgerError(.corrupted, "the head row's hash does not match the chain at seq \(head)")
        }
        report.require(head: expectedHead)
        return report
    }

    /// Extends `chain` with a stored row and checks the row's stored link: what `verify` checks
    /// for every row, and every read (``PostgresTail``) for the rows it reads.
    /// - Throws: ``LedgerError/Kind/corrupted`` for a gap before the row, or an altered row.
    static func extend(_ chain: inout ContentChain, with row: StoredEvent) throws {
        try chain.add(row.event)
        guard chain.head == row.link else {
            throw LedgerError(.corrupted, "seq \(row.event.seq) differs from what was appended (its hash-chain link does not match): the row was altered")
        }
    }

    /// The chain as it stands before `seq`, from the stored link of the row before it.
    func chain(before seq: Seq) async throws -> ContentChain {
        guard seq > 1 else { return ContentChain() }
        guard let row = try await fetchRows(from: seq - 1, through: seq - 1, limit: 1).first else {
            throw LedgerError(.corrupted, "seq \(seq - 1) is missing from ledgerbot_events")
        }
        return ContentChain(after: seq - 1, link: Array(row.hash.readableBytesView))
    }

    /// Counts and sizes, computed by the database (no body is transferred).
    public func stats() async throws -> LedgerStats {
        var stats = LedgerStats()
        let (head, link) = try await storedHead()
        stats.headSeq = head
        stats.headHash = link
        do {
            for try await (count, raw, body, stored, first, last) in try await client.query("""
                SELECT count(*), coalesce(sum(raw_length + octet_length(meta) + octet_length(stream) + octet_length(type) + 28), 0)::bigint,
                       coalesce(sum(raw_length), 0)::bigint, coalesce(sum(octet_length(body)), 0)::bigint, min(time), max(time)
                FROM ledgerbot_events
                """).decode((Int64, Int64, Int64, Int64, Int64?, Int64?).self) {
                stats.events = Int(count)
                stats.rawBytes = raw
                stats.bodyBytes = body
                stats.storedBytes = stored
                stats.firstTime = first
                stats.lastTime = last
            }
            for try await (type, count) in try await client.query("SELECT type, count(*) FROM ledgerbot_events GROUP BY type")
                .decode((String, Int64).self) {
                stats.eventsByType[type] = Int(count)
            }
        } catch {
            throw LedgerError(.io, "cannot read the ledger's statistics from \(location): \(describe(error))")
        }
        return stats
    }

    /// The head row: the last committed seq and its chain link.
    public func storedHead() async throws -> (Seq, [UInt8]) {
        do {
            for try await (seq, hash) in try await client.query("SELECT head_seq, head_hash FROM ledgerbot_ledger WHERE id = 1")
                .decode((Int64, ByteBuffer).self) {
                return (Seq(seq), Array(hash.readableBytesView))
            }
        } catch {
            throw LedgerError(.io, "cannot read the ledger's head from \(location): \(describe(error))")
        }
        throw LedgerError(.corrupted, "the ledgerbot_ledger row is missing")
    }
}

extension PostgresLedger {
    /// The distinct streams whose name ends with `suffix` (the stream index serves the lookup).
    public func streams(endingWith suffix: String) async throws -> [String] {
        var found: [String] = []
        do {
            for try await stream in try await client.query("SELECT DISTINCT stream FROM ledgerbot_events WHERE stream LIKE \("%" + suffix)")
                .decode(String.self) {
                found.append(stream)
            }
        } catch {
            throw LedgerError(.io, "cannot read streams from \(location): \(describe(error))")
        }
        return found.sorted()
    }

    /// Every event of the given streams, in seq order.
    public func events(inStreams streams: [String]) async throws -> [LedgerEvent] {
        try await rows("""
            SELECT seq, stream, type, time, causation, dictionary, raw_length, body, meta, hash
            FROM ledgerbot_events WHERE stream = ANY(\(streams)) ORDER BY seq
            """).map { try decode($0).event }
    }
}
