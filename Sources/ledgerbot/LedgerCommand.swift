import ArgumentParser
import Foundation
import Ledger
import PostgresLedger
import Projections

struct LedgerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ledger",
        abstract: "Inspect, check, export, import, copy and rebuild a ledger.",
        subcommands: [Verify.self, Stats.self, Export.self, Import.self, Copy.self, Rebuild.self, Repair.self]
    )
}

extension LedgerCommand {
    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Recompute every checksum and the SHA-256 hash chain; exit 1 on damage.",
            discussion: """
                Reads without locking, so it may run beside `serve`. Reports a torn tail (a crash \
                mid-write, never acknowledged) that the next writer would truncate. With --ledger \
                postgres://…, recomputes every event's link in the content hash chain and checks it \
                against the one stored in its row.
                """
        )
        @OptionGroup var options: StoreOptions
        @Option(help: ArgumentHelp("Fail unless the head hash equals this one, or starts with it (at least 16 hex digits; `stats` and `verify` print the whole hash).", valueName: "HASH"))
        var expectHead: String?

        func validate() throws {
            if let expectHead, !(16...64).contains(expectHead.count) || !expectHead.allSatisfy(\.isHexDigit) {
                throw ValidationError("--expect-head takes the head hash (64 hex digits, as `ledgerbot ledger stats` prints it) or at least its first 16 hex digits")
            }
        }
        @Option(help: "Output format.") var format: OutputFormat = .text
        @Flag(help: "Also check that the compact form ingest recorded beside each webhook reads as its raw body does.")
        var forms = false

        func run() async throws {
            let report = try await reportingErrors {
                let progress = Progress("verify")
                let report: VerifyReport
                switch try options.target() {
                case .directory(let directory):
                    report = try LedgerInspection.verify(directory: directory, expectedHead: expectHead) { progress.update($0) }
                case .postgres(let location):
                    report = try await withPostgresLedger(location) { try await $0.verify(expectedHead: expectHead) { progress.update($0) } }
                }
                progress.finish(report.events)
                return report
            }
            let formCheck = forms && report.isIntact ? try await reportingErrors { try await checkForms() } : nil
            switch format {
            case .json:
                var object: [String: Any] = [
                    "intact": report.isIntact, "events": report.events, "frames": report.frames, "segments": report.segments.count,
                    "head_seq": report.headSeq, "head_hash": report.headHash.hexString,
                ]
                if let formCheck { object["forms"] = ["checked": formCheck.checked, "mismatched_seqs": formCheck.mismatched] }
                if let torn = report.tornTail {
                    object["torn_tail"] = ["segment": torn.segment, "offset": torn.offset, "bytes": torn.bytes, "reason": torn.reason]
                }
                if let problem = report.problem {
                    var p: [String: Any] = ["message": problem.message]
                    if let l = problem.location {
                        p["segment"] = l.segment
                        p["offset"] = l.offset
                        p["seq"] = l.seq.map { $0 as Any } ?? NSNull()
                    }
                    object["problem"] = p
                }
                print(jsonText(object))
            case .text:
                if let problem = report.problem {
                    print("CORRUPTED: \(problem.message)")
                    if let l = problem.location {
                        print("  segment      \(l.segment)")
                        print("  byte offset  \(l.offset)")
                        print("  seq          \(l.seq.map(String.init) ?? "unknown")")
                    }
                    print("  intact before it: \(formatCount(report.events)) events, head seq \(report.headSeq)")
                } else {
                    if options.ledger != nil {
                        print("ledger intact: \(formatCount(report.events)) events in \(try options.target())")
                    } else {
                        print("ledger intact: \(formatCount(report.events)) events in \(formatCount(report.frames)) frames, \(report.segments.count) segment(s)")
                    }
                    print("head seq \(report.headSeq), head hash \(report.headHash.hexString)")
                }
                if let torn = report.tornTail, report.isIntact {
                    print("note: \(torn); the next writer will truncate it (it was never acknowledged)")
                }
                if let formCheck {
                    if formCheck.mismatched.isEmpty {
                        print("compact forms: \(formCheck.checked) checked, each reads as its webhook's body")
                    } else {
                        print("COMPACT FORMS DIFFER from their bodies at seq " + formCheck.mismatched.prefix(20).map(String.init).joined(separator: ", ")
                              + (formCheck.mismatched.count > 20 ? " and \(formCheck.mismatched.count - 20) more" : ""))
                        print("  the bot reads those forms; `replay --from-raw` reads the bodies instead")
                    }
                }
            }
            if !report.isIntact || formCheck?.mismatched.isEmpty == false { throw ExitCode(1) }
        }

        /// Every webhook's recorded compact form against its raw body.
        private func checkForms() async throws -> (checked: Int, mismatched: [Seq]) {
            var checked = 0
            var mismatched: [Seq] = []
            let progress = Progress("forms")
            func check(_ event: LedgerEvent) {
                guard let agrees = WebhookDigest.compactFormAgrees(in: event) else { return }
                checked += 1
                if !agrees { mismatched.append(event.seq) }
            }
            var read = 0
            try await options.target().forEachBatch { batch in
                batch.forEach(check)
                read += batch.count
                progress.update(read)
            }
            progress.finish(read)
            return (checked, mismatched)
        }
    }

    struct Stats: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Count events, bytes, compression and types; print the head hash.")
        @OptionGroup var options: StoreOptions
        @Option(help: "Output format.") var format: OutputFormat = .text

        func run() async throws {
            let stats = try await reportingErrors {
                switch try options.target() {
                case .directory(let directory):
                    let progress = Progress("stats")
                    let stats = try LedgerInspection.stats(directory: directory) { progress.update($0) }
                    progress.finish(stats.events)
                    return stats
                case .postgres(let location):
                    return try await withPostgresLedger(location) { try await $0.stats() }
                }
            }
            switch format {
            case .json:
                print(jsonText([
                    "events": stats.events, "segments": stats.segments, "frames": stats.frames,
                    "segments_by_format": Dictionary(uniqueKeysWithValues: stats.segmentsByFormat.map { (String($0.key), $0.value) }),
                    "raw_bytes": stats.rawBytes, "body_bytes": stats.bodyBytes, "stored_bytes": stats.storedBytes,
                    "compression_ratio": (stats.compressionRatio * 100).rounded() / 100,
                    "events_by_type": stats.eventsByType, "head_seq": stats.headSeq, "head_hash": stats.headHashHex,
                    "first_time": stats.firstTime.map { Timestamp.iso8601(micros: $0) as Any } ?? NSNull(),
                    "last_time": stats.lastTime.map { Timestamp.iso8601(micros: $0) as Any } ?? NSNull(),
                ] as [String: Any]))
            case .text:
                print("ledger       \(try options.target())")
                print("events       \(formatCount(stats.events))" + (stats.events > 0 ? " (seq 1 … \(stats.headSeq))" : ""))
                if options.data != nil {
                    let formats = stats.segmentsByFormat.sorted { $0.key < $1.key }.map { "format \($0.key): \($0.value)" }.joined(separator: ", ")
                    print("segments     \(stats.segments)" + (formats.isEmpty ? "" : " (\(formats))") + ", frames \(formatCount(stats.frames))")
                }
                print("raw bytes    \(formatBytes(stats.bodyBytes)) of event bodies (\(formatBytes(stats.rawBytes)) encoded)")
                print("stored bytes \(formatBytes(stats.storedBytes))")
                print("compression  \(String(format: "%.1f", stats.compressionRatio))× (bodies / stored)")
                if let first = stats.firstTime, let last = stats.lastTime {
                    print("time range   \(Timestamp.iso8601(micros: first)) … \(Timestamp.iso8601(micros: last))")
                }
                print("head hash    \(stats.headHashHex)" + (options.ledger != nil ? " (content hash chain)" : ""))
                if !stats.eventsByType.isEmpty {
                    print("events by type:")
                    let width = stats.eventsByType.keys.map(\.count).max() ?? 0
                    for (type, count) in stats.eventsByType.sorted(by: { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }) {
                        print("  " + type.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + formatCount(count))
                    }
                }
                if let torn = stats.tornTail { print("note: \(torn)") }
            }
        }
    }

    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write events as JSON Lines (one event a line).",
            discussion: """
                Each line: {"seq","time","stream","type","causation","body","meta"} ("meta" only when \
                the event has one: ingest's facts about a webhook); a body or meta that is not \
                single-line JSON is written as "body_base64" or "meta_base64" instead. `import` reads \
                the same format.
                """
        )
        @OptionGroup var options: StoreOptions
        @Option(help: ArgumentHelp("Write to FILE instead of standard output.", valueName: "FILE")) var output: String?
        @Option(help: "First seq to export.") var from: UInt64 = 1
        @Option(help: "Last seq to export.") var through: UInt64?

        func validate() throws {
            if let through, through < from { throw ValidationError("--through (\(through)) is before --from (\(from)): nothing could be exported") }
        }

        func run() async throws {
            try await reportingErrors {
                let handle: FileHandle
                if let output {
                    guard FileManager.default.createFile(atPath: output, contents: nil) else {
                        throw ValidationError("cannot create \(output)")
                    }
                    handle = try FileHandle(forWritingTo: URL(fileURLWithPath: output))
                } else {
                    handle = .standardOutput
                }
                let out = FileHandleOutput(handle: handle, flushAt: 1 << 20)
                let progress = Progress("export")
                var count = 0
                try await options.target().forEachBatch(from: from, through: through ?? .max) { events in
                    for event in events { out.write(JSONLines.encode(event) + [0x0A]) }
                    count += events.count
                    progress.update(count)
                }
                out.flush()
                if output != nil { try handle.synchronize(); try handle.close() }
                progress.finish(count)
                if let output { printError("exported \(formatCount(count)) events to \(output)") }
            }
        }
    }

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Append events from JSON Lines (the `export` format).",
            discussion: """
                The whole input is validated before anything is appended: a bad line names its \
                line number and nothing is imported. Seqs that continue the ledger's head are kept; \
                others are renumbered after it (causations inside the file follow their events). \
                Importing again is safe: when the file's events at seqs the ledger has are equal to \
                the ledger's (the same file, or the part a stopped import stored), they are skipped \
                and only the rest is appended. \
                Creates the ledger when DIR (or the database) has none.
                """
        )
        @OptionGroup var options: StoreOptions
        @Option(help: ArgumentHelp("Read FILE instead of standard input.", valueName: "FILE")) var input: String?

        func run() async throws {
            try await reportingErrors {
                var path = input
                var spooled: String?
                if path == nil {
                    // Standard input is read twice (validate, then append), so spool it first.
                    let temporary = NSTemporaryDirectory() + "/ledgerbot-import-\(getpid()).jsonl"
                    guard FileManager.default.createFile(atPath: temporary, contents: nil) else { throw ValidationError("cannot create a temporary file in \(NSTemporaryDirectory())") }
                    let out = try FileHandle(forWritingTo: URL(fileURLWithPath: temporary))
                    while let chunk = try FileHandle.standardInput.read(upToCount: 1 << 20), !chunk.isEmpty { out.write(chunk) }
                    try out.close()
                    path = temporary
                    spooled = temporary
                }
                defer { if let spooled { try? FileManager.default.removeItem(atPath: spooled) } }
                let target = try options.target()
                // A ledger this import creates is removed again when nothing could be imported,
                // so a failed import does not leave an empty ledger that replays "successfully".
                var created: String?
                if case .directory(let directory) = target, !FileManager.default.fileExists(atPath: directory.dataPath) { created = directory.dataPath }
                let ledger = try await target.openForWriting()
                let validation = Progress("import: checking lines")
                let progress = Progress("import")
                do {
                    let report = try await LedgerImport.run(path: path!, into: ledger, validating: { validation.update($0, unit: "lines") }) { done, total in
                        progress.update(done, total: total)
                    }
                    await ledger.close()
                    progress.finish(report.events)
                    if report.alreadyHeld > 0 {
                        printError("\(formatCount(report.alreadyHeld)) events of the input are in the ledger already, at the same seqs and equal: not imported again")
                    }
                    if report.events == 0 {
                        if report.alreadyHeld == 0 { printError("no events in the input") }
                    } else {
                        printError("imported \(formatCount(report.events)) events as seq \(report.firstSeq) … \(report.lastSeq)"
                                   + (report.seqsPreserved ? "" : " (renumbered after the ledger's head; causations follow)"))
                    }
                } catch {
                    let empty = await ledger.headSeq() == 0
                    await ledger.close()
                    if let created, empty { try? FileManager.default.removeItem(atPath: created) }
                    throw error
                }
            }
        }
    }

    struct Copy: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Copy a whole ledger between backends (directory ↔ PostgreSQL) and prove the copy equal.",
            discussion: """
                FROM and TO are each a data directory or a postgres:// URL (password from PGPASSWORD). \
                The destination must be empty, or hold what a stopped copy of the same source left: \
                the source's first events, proven by the content hash chain; the copy then resumes \
                after them (so a copy can also be brought up to date with a grown source). Seqs, times, streams, types, causations, bodies and meta \
                are kept exactly. Equality is then proven by reading both sides again: the same event \
                count and the same head of the content hash chain (SHA-256 over every event, the chain \
                both backends share); exit 1 if they differ. Stop `serve` on the source first: events \
                appended during the copy are not copied.
                """
        )
        @Option(help: ArgumentHelp("The ledger to copy: a data directory or postgres://….", valueName: "DIR|URL")) var from: String
        @Option(help: ArgumentHelp("Where to copy it: an empty data directory or database (or one a stopped copy left).", valueName: "DIR|URL")) var to: String
        @Option(help: "Output format.") var format: OutputFormat = .text

        func run() async throws {
            let (source, copied) = try await reportingErrors {
                let source = try LedgerTarget(from)
                let destination = try LedgerTarget(to)
                // A missing source must not leave an empty ledger created at the destination.
                if case .directory(let directory) = source { _ = try directory.readManifest() }
                let store = try await destination.openForWriting()
                let progress = Progress("copy")
                var chain = ContentChain()
                do {
                    // A copy that stopped part way (an error, a kill) left the source's first events
                    // behind: proven so by the same hash chain, the copy goes on after them.
                    chain = try await Self.copiedPrefix(of: source, at: destination, holding: await store.headSeq())
                    if chain.count > 0 {
                        printError("resuming: \(destination) already holds the source's first \(formatCount(Int(chain.count))) events (same content hash)")
                    }
                    try await source.forEachBatch(from: chain.lastSeq + 1) { events in
                        for event in events { try chain.add(event) }
                        let range = try await store.append(events.map(\.draft))
                        guard range.lowerBound == events[0].seq else {
                            throw LedgerError(.corrupted, "the destination assigned seq \(range.lowerBound) to source seq \(events[0].seq)")
                        }
                        progress.update(Int(chain.count))
                    }
                    await store.close()
                } catch {
                    await store.close()
                    throw error
                }
                progress.finish(Int(chain.count))
                return (chain, try await Self.chain(of: destination))
            }
            let equal = source == copied
            switch format {
            case .json:
                print(jsonText(["events": source.count, "source_head_hash": source.head.hexString, "destination_events": copied.count,
                                "destination_head_hash": copied.head.hexString, "equal": equal] as [String: Any]))
            case .text:
                print("copied \(formatCount(Int(source.count))) events from \(try LedgerTarget(from)) to \(try LedgerTarget(to))")
                print("source       \(formatCount(Int(source.count))) events, content hash \(source.head.hexString)")
                print("destination  \(formatCount(Int(copied.count))) events, content hash \(copied.head.hexString)")
                print(equal ? "equal: same event count and hash chain" : "DIFFERENT: the copy does not match its source")
            }
            if !equal { throw ExitCode(1) }
        }

        /// The chain of the events a destination already holds, when they are the source's first
        /// events (a stopped copy's); empty for an empty destination.
        /// - Throws: when the destination holds anything else: copy never appends after foreign events.
        static func copiedPrefix(of source: LedgerTarget, at destination: LedgerTarget, holding existing: Seq) async throws -> ContentChain {
            guard existing > 0 else { return ContentChain() }
            let held = try await chain(of: destination)
            var prefix = ContentChain()
            try await source.forEachBatch(through: existing) { events in
                for event in events { try prefix.add(event) }
            }
            guard held.count == existing, prefix == held else {
                let which = prefix.count < existing
                    ? "more than the source's \(formatCount(Int(prefix.count)))"
                    : "not the source's first \(formatCount(Int(existing))) (their content hash chains differ)"
                throw ValidationError("""
                    \(destination) already holds \(formatCount(Int(existing))) events, \(which); copy needs an empty \
                    destination, or one that a stopped copy of this source left (the copy then resumes)
                    """)
            }
            return prefix
        }

        /// Reads a whole ledger back and chains its events.
        static func chain(of target: LedgerTarget) async throws -> ContentChain {
            var chain = ContentChain()
            let progress = Progress("check")
            try await target.forEachBatch { events in
                for event in events { try chain.add(event) }
                progress.update(Int(chain.count))
            }
            progress.finish(Int(chain.count))
            return chain
        }
    }

    struct Rebuild: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete DATA/index.sqlite and rebuild it (index and projections) from the segments.",
            discussion: "Takes the writer lock: stop `serve` first."
        )
        @OptionGroup var options: DataOptions

        func run() async throws {
            try await reportingErrors {
                let report = try await FileLedger.rebuildIndex(directory: options.directory)
                print("rebuilt \(options.directory.indexPath): \(formatCount(report.indexedFrames)) frames, head seq \(report.headSeq)")
                if let torn = report.truncated { print("note: truncated \(torn)") }
                // The projections live in the same file: refold them now rather than on the next start.
                let progress = Progress("projections")
                let index = try LedgerIndex(path: options.directory.indexPath, ledgerID: options.directory.readManifest())
                let projections = try ProjectionStore.rebuild(index: index, directory: options.directory) { progress.update($0.applied) }
                progress.finish(Int(projections.checkpoint))
                print("rebuilt projections: \(formatCount(projections.conversations.count)) conversations through seq \(projections.checkpoint)")
            }
        }
    }

    struct Repair: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Move damaged frames (and everything after them) aside so the ledger opens again.",
            discussion: """
                Nothing is deleted: the bytes go to DATA/ledger/quarantine/. Run `verify` first to \
                see what would be moved. Takes the writer lock.
                """
        )
        @OptionGroup var options: DataOptions

        func run() async throws {
            try await reportingErrors {
                let (ledger, report) = try FileLedger.open(directory: options.directory, create: false, repair: true)
                await ledger.close()
                if report.quarantined.isEmpty && report.truncated == nil {
                    print("nothing to repair: head seq \(report.headSeq)")
                } else {
                    for name in report.quarantined { print("moved to quarantine: \(options.directory.quarantinePath)/\(name)") }
                    if let torn = report.truncated { print("truncated \(torn)") }
                    print("ledger opens again at head seq \(report.headSeq)")
                }
            }
        }
    }
}
