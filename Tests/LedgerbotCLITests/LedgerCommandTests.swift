import Foundation
import JSONScan
import LedgerbotTesting
import Projections
import Testing
@testable import Ledger

/// The `ledgerbot ledger …` commands, run as a real child process.
@Suite struct LedgerCommandTests {
    private let binary = productsDirectory().appendingPathComponent("ledgerbot")

    private func ledgerbot(_ arguments: String..., stdin: Data? = nil) async throws -> (status: Int32, stdout: String, stderr: String) {
        let binary = self.binary
        return try await offPool { try runProcess(binary, arguments, stdin: stdin) }
    }

    private func sampleLines(_ count: Int) throws -> String {
        let body = String(decoding: try chatwootFixture("webhook-message_created-incoming.json"), as: UTF8.self)
        let compact = try JSONSerialization.data(withJSONObject: JSONSerialization.jsonObject(with: Data(body.utf8)), options: [.sortedKeys])
        var lines: [String] = []
        for n in 1...count {
            let type = n % 4 == 0 ? "decision" : "webhook.received"
            let causation: Seq? = n % 4 == 0 ? Seq(n - 1) : nil
            let meta = Array("{\"delivery\":\"d\(n)\"}".utf8)
            let event = LedgerEvent(seq: Seq(n), stream: "1/128", type: type, time: 1_778_663_742_000_000 + Int64(n),
                                    causation: causation, body: [UInt8](compact), meta: meta)
            lines.append(String(decoding: JSONLines.encode(event), as: UTF8.self))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// `verify --forms` holds each webhook's recorded compact form to its raw body: a form that
    /// reads differently (here edited after export) is named by seq and fails the check.
    @Test func verifyFormsNamesAWebhookWhoseCompactFormDiffersFromItsBody() async throws {
        let body = try chatwootFixture("webhook-message_created-incoming.json")
        let form = try #require(body.withUnsafeBytes(WebhookDigest.compactForm(of:)))
        let forged = Array(String(decoding: form, as: UTF8.self).replacingOccurrences(of: #""message_created""#, with: #""message_updated""#).utf8)
        func line(_ seq: Seq, _ form: [UInt8]) -> String {
            let meta = JSONWriter.object([("digest_form", .string(WebhookDigest.compactFormName)), ("digest", .raw(form))])
            let event = LedgerEvent(seq: seq, stream: "1/128", type: "webhook.received", time: 1_778_663_742_000_000 + Int64(seq), causation: nil, body: body, meta: meta)
            return String(decoding: JSONLines.encode(event), as: UTF8.self) + "\n"
        }
        let temp = TemporaryDirectory()
        let good = temp.path + "/good", bad = temp.path + "/bad"
        #expect(try await ledgerbot("ledger", "import", "--data", good, stdin: Data((line(1, form) + line(2, form)).utf8)).status == 0)
        #expect(try await ledgerbot("ledger", "import", "--data", bad, stdin: Data((line(1, form) + line(2, forged) + line(3, form)).utf8)).status == 0)

        let checked = try await ledgerbot("ledger", "verify", "--data", good, "--forms")
        #expect(checked.status == 0, "\(checked.stdout)\(checked.stderr)")
        #expect(checked.stdout.contains("compact forms: 2 checked"))
        #expect(try await ledgerbot("ledger", "verify", "--data", bad).status == 0, "the hash chain itself is intact")
        let caught = try await ledgerbot("ledger", "verify", "--data", bad, "--forms")
        #expect(caught.status == 1)
        #expect(caught.stdout.contains("COMPACT FORMS DIFFER from their bodies at seq 2\n"), "\(caught.stdout)")
        let json = try await ledgerbot("ledger", "verify", "--data", bad, "--forms", "--format", "json")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let forms = try #require(object["forms"] as? [String: Any])
        #expect(forms["checked"] as? Int == 3 && forms["mismatched_seqs"] as? [Int] == [2])
    }

    @Test func helpNamesEveryLedgerCommand() async throws {
        let root = try await ledgerbot("--help")
        #expect(root.status == 0)
        #expect(root.stdout.contains("ledger"))
        let help = try await ledgerbot("ledger", "--help")
        for command in ["verify", "stats", "export", "import", "copy", "rebuild", "repair"] { #expect(help.stdout.contains(command)) }
        let verify = try await ledgerbot("ledger", "verify", "--help")
        #expect(verify.stdout.contains("--data") && verify.stdout.contains("--expect-head"))
    }

    @Test func importFromStdinThenExportGivesIdenticalLines() async throws {
        let temp = TemporaryDirectory()
        let lines = try sampleLines(40)
        let imported = try await ledgerbot("ledger", "import", "--data", temp.path + "/data", stdin: Data(lines.utf8))
        #expect(imported.status == 0, "\(imported.stderr)")
        #expect(imported.stderr.contains("imported 40 events as seq 1 … 40"))
        let exported = try await ledgerbot("ledger", "export", "--data", temp.path + "/data")
        #expect(exported.stdout == lines)
        let toFile = try await ledgerbot("ledger", "export", "--data", temp.path + "/data", "--output", temp.path + "/out.jsonl", "--from", "38")
        #expect(toFile.status == 0)
        let tail = try String(contentsOfFile: temp.path + "/out.jsonl", encoding: .utf8)
        #expect(tail == lines.split(separator: "\n").suffix(3).joined(separator: "\n") + "\n")
    }

    /// A line over the storage limits (meta over 64 KiB) is found by the checking pass, so the
    /// import stops before anything is stored, naming the line.
    @Test func aLineOverTheStorageLimitsImportsNothing() async throws {
        let temp = TemporaryDirectory()
        // After more than one batch (1 MiB) of good lines: without the check, those were stored.
        let event = LedgerEvent(seq: 601, stream: "1/128", type: "webhook.received", time: 1_778_663_742_000_601, causation: nil,
                                body: Array("{}".utf8), meta: Array(("{\"pad\":\"" + String(repeating: "x", count: 70_000) + "\"}").utf8))
        let lines = try sampleLines(600) + String(decoding: JSONLines.encode(event), as: UTF8.self) + "\n"
        let result = try await ledgerbot("ledger", "import", "--data", temp.path + "/data", stdin: Data(lines.utf8))
        #expect(result.status != 0 && result.stderr.contains("line 601"), "\(result.stderr)")
        let stats = try await ledgerbot("ledger", "stats", "--data", temp.path + "/data", "--format", "json")
        let events = (try? JSONSerialization.jsonObject(with: Data(stats.stdout.utf8)) as? [String: Any])?["events"] as? Int
        #expect(events == nil || events == 0, "\(stats.stdout)\(stats.stderr)")
    }

    @Test func statsAndVerifyReportTheLedgerInTextAndJSON() async throws {
        let temp = TemporaryDirectory()
        _ = try await ledgerbot("ledger", "import", "--data", temp.path + "/data", stdin: Data(try sampleLines(20).utf8))
        let stats = try await ledgerbot("ledger", "stats", "--data", temp.path + "/data", "--format", "json")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(stats.stdout.utf8)) as? [String: Any])
        #expect(object["events"] as? Int == 20)
        #expect((object["events_by_type"] as? [String: Int]) == ["webhook.received": 15, "decision": 5])
        #expect((object["compression_ratio"] as? Double ?? 0) > 10)
        #expect((object["segments_by_format"] as? [String: Int]) == ["2": 1])
        let head = try #require(object["head_hash"] as? String)
        #expect(head.count == 64)
        let text = try await ledgerbot("ledger", "stats", "--data", temp.path + "/data")
        #expect(text.stdout.contains("head hash    \(head)"))
        #expect(text.stdout.contains("segments     1 (format 2: 1), frames 1"), "\(text.stdout)")
        let verify = try await ledgerbot("ledger", "verify", "--data", temp.path + "/data", "--expect-head", head)
        #expect(verify.status == 0)
        #expect(verify.stdout.contains("ledger intact: 20 events"))
        let wrongHead = try await ledgerbot("ledger", "verify", "--data", temp.path + "/data", "--expect-head", String(repeating: "a", count: 64))
        #expect(wrongHead.status == 1)
    }

    @Test func verifyExitsOneAndNamesSegmentOffsetAndSeqOfDamage() async throws {
        let temp = TemporaryDirectory()
        let data = temp.path + "/data"
        for chunk in 0..<3 { // three imports: three frames
            let lines = try sampleLines(10).split(separator: "\n").map { line -> String in
                var event = try Array(line.utf8).withUnsafeBytes { try JSONLines.decode($0) }
                event.seq += Seq(chunk * 10)
                event.causation = event.causation.map { $0 + Seq(chunk * 10) }
                return String(decoding: JSONLines.encode(event), as: UTF8.self)
            }.joined(separator: "\n")
            #expect(try await ledgerbot("ledger", "import", "--data", data, stdin: Data(lines.utf8)).status == 0)
        }
        let directory = LedgerDirectory(dataPath: data)
        let segment = try directory.segmentNames()[0]
        let index = try LedgerIndex(path: directory.indexPath, ledgerID: try directory.readManifest())
        let second = try #require(try index.frame(containing: 11))
        let path = directory.segmentPath(segment)
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        bytes[Int(second.offset) + 70] ^= 0x04
        try bytes.write(to: URL(fileURLWithPath: path))

        let verify = try await ledgerbot("ledger", "verify", "--data", data)
        #expect(verify.status == 1)
        #expect(verify.stdout.contains("CORRUPTED"))
        #expect(verify.stdout.contains("segment      \(segment)"))
        #expect(verify.stdout.contains("byte offset  \(second.offset)"))
        #expect(verify.stdout.contains("seq          11"))
        let json = try await ledgerbot("ledger", "verify", "--data", data, "--format", "json")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let problem = try #require(object["problem"] as? [String: Any])
        #expect(problem["offset"] as? Int == Int(second.offset))
        #expect(problem["seq"] as? Int == 11)

        // Writers refuse to open; repair moves the damage aside; then the ledger is intact again.
        let refused = try await ledgerbot("ledger", "import", "--data", data, stdin: Data(try sampleLines(1).utf8))
        #expect(refused.status == 2)
        #expect(refused.stderr.contains("ledger repair"))
        let repair = try await ledgerbot("ledger", "repair", "--data", data)
        #expect(repair.status == 0)
        #expect(repair.stdout.contains("quarantine"))
        #expect(try await ledgerbot("ledger", "verify", "--data", data).status == 0)
    }

    @Test func clearErrorsForMissingDirectoriesLockedLedgersAndBadLines() async throws {
        let temp = TemporaryDirectory()
        let missing = try await ledgerbot("ledger", "stats", "--data", temp.path + "/nothing-here")
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("does not exist"))

        var lines = try sampleLines(5).split(separator: "\n").map(String.init)
        lines[2] = #"{"seq":3,"time":"2026-05-13T09:15:42Z","stream":"s","type":"t","causation":null}"#
        let bad = try await ledgerbot("ledger", "import", "--data", temp.path + "/data", stdin: Data(lines.joined(separator: "\n").utf8))
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("line 3") && bad.stderr.contains("missing \"body\"") && bad.stderr.contains("nothing was imported"))
        let afterBad = try await ledgerbot("ledger", "stats", "--data", temp.path + "/data", "--format", "json")
        #expect(afterBad.status == 2 && afterBad.stderr.contains("does not exist"), "the ledger the failed import created is gone")

        // Hold the writer lock in this process; the CLI must refuse to write.
        let (ledger, _) = try FileLedger.open(directory: LedgerDirectory(dataPath: temp.path + "/data"))
        let locked = try await ledgerbot("ledger", "import", "--data", temp.path + "/data", stdin: Data(try sampleLines(1).utf8))
        #expect(locked.status == 2)
        #expect(locked.stderr.contains("locked by another process (pid \(getpid()))"))
        let readerStillWorks = try await ledgerbot("ledger", "verify", "--data", temp.path + "/data")
        #expect(readerStillWorks.status == 0)
        await ledger.close()
    }

    @Test func rebuildRestoresTheIndexFromTheSegments() async throws {
        let temp = TemporaryDirectory()
        let data = temp.path + "/data"
        _ = try await ledgerbot("ledger", "import", "--data", data, stdin: Data(try sampleLines(30).utf8))
        let directory = LedgerDirectory(dataPath: data)
        // The live projections, as `serve` keeps them.
        let liveIndex = try LedgerIndex(path: directory.indexPath, ledgerID: try directory.readManifest())
        let live = try ProjectionStore(index: liveIndex)
        try live.catchUp(directory: directory)
        let before = try liveIndex.dump()
        let projectionsBefore = try live.dump()
        #expect(!projectionsBefore.isEmpty)
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: directory.indexPath + suffix) }
        let rebuild = try await ledgerbot("ledger", "rebuild", "--data", data)
        #expect(rebuild.status == 0)
        #expect(rebuild.stdout.contains("head seq 30"))
        #expect(rebuild.stdout.contains("rebuilt projections: 1 conversations through seq 30"))
        let rebuiltIndex = try LedgerIndex(path: directory.indexPath, ledgerID: try directory.readManifest())
        #expect(try rebuiltIndex.dump() == before)
        #expect(try ProjectionStore(index: rebuiltIndex).dump() == projectionsBefore, "projections rebuilt row for row")
    }

    /// A torn last frame that the index recorded as acknowledged lost stored events: `verify`
    /// reports damage (exit 1) and `rebuild` refuses instead of deleting the index — its only
    /// witness — and truncating the frame as a crash mid-write. Bytes no one acknowledged (a
    /// crash mid-write) stay a note, and rebuild truncates them.
    @Test func aTornTailTheIndexAcknowledgedIsDamageForVerifyAndRebuild() async throws {
        let temp = TemporaryDirectory()
        let data = temp.path + "/data"
        #expect(try await ledgerbot("ledger", "import", "--data", data, stdin: Data(try sampleLines(30).utf8)).status == 0)
        let directory = LedgerDirectory(dataPath: data)
        let segment = try #require(try directory.segmentNames().last)
        let path = directory.segmentPath(segment)
        let size = try #require(try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int)

        // A crash mid-write: bytes after the last frame that no one acknowledged.
        let handle = try #require(FileHandle(forWritingAtPath: path))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data([0x4C, 0x42, 0x46, 0x52, 1, 2, 3]))
        try handle.close()
        let crashed = try await ledgerbot("ledger", "verify", "--data", data)
        #expect(crashed.status == 0 && crashed.stdout.contains("never acknowledged"), "\(crashed.stdout)")

        // The acknowledged last frame cut short.
        #expect(truncate(path, off_t(size - 10)) == 0)
        let verify = try await ledgerbot("ledger", "verify", "--data", data)
        #expect(verify.status == 1, "\(verify.stdout)")
        #expect(verify.stdout.contains("CORRUPTED") && verify.stdout.contains("index shows it was acknowledged"), "\(verify.stdout)")
        #expect(!verify.stdout.contains("never acknowledged"))
        let rebuild = try await ledgerbot("ledger", "rebuild", "--data", data)
        #expect(rebuild.status == 2, "\(rebuild.stdout)\(rebuild.stderr)")
        #expect(rebuild.stderr.contains("ledger repair"), "\(rebuild.stderr)")
        #expect(try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int == size - 10, "nothing truncated")
        #expect(FileManager.default.fileExists(atPath: directory.indexPath), "the index, the witness, is kept")
        #expect(try await ledgerbot("ledger", "verify", "--data", data).status == 1, "still reported, run after run")
        // Export and copy do not end short quietly: they fail as verify reports.
        let export = try await ledgerbot("ledger", "export", "--data", data)
        #expect(export.status == 2 && export.stderr.contains("index shows it was acknowledged"), "\(export.stderr)")
        let copy = try await ledgerbot("ledger", "copy", "--from", data, "--to", temp.path + "/copy")
        #expect(copy.status == 2 && copy.stderr.contains("index shows it was acknowledged"), "\(copy.stderr)")

        // repair moves the acknowledged bytes aside (it used to truncate them away), under a name
        // no earlier repair's file has.
        let damaged = try Data(contentsOf: URL(fileURLWithPath: path))
        try FileManager.default.createDirectory(atPath: directory.quarantinePath, withIntermediateDirectories: true)
        let earlier = directory.quarantinePath + "/\(segment).from-0.bin" // the damage starts at the first frame: the whole segment moves
        try Data("an earlier repair's bytes".utf8).write(to: URL(fileURLWithPath: earlier))
        let repair = try await ledgerbot("ledger", "repair", "--data", data)
        #expect(repair.status == 0, "\(repair.stdout)\(repair.stderr)")
        let quarantined = try FileManager.default.contentsOfDirectory(atPath: directory.quarantinePath).sorted()
        #expect(quarantined.count == 2, "\(quarantined)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: earlier)) == Data("an earlier repair's bytes".utf8))
        let moved = try #require(quarantined.first { $0 != (earlier as NSString).lastPathComponent })
        #expect(try Data(contentsOf: URL(fileURLWithPath: directory.quarantinePath + "/" + moved)) == damaged)
        #expect(try await ledgerbot("ledger", "verify", "--data", data).status == 0)
    }

    /// A copy that failed on an acknowledged damaged last frame kept the events before it; once
    /// `repair` moved the damage aside, the same copy resumes after them instead of refusing a
    /// destination that is not empty.
    @Test func aCopyThatFailedOnDamageResumesAfterRepair() async throws {
        let temp = TemporaryDirectory()
        let data = temp.path + "/data", copy = temp.path + "/copy"
        let lines = try sampleLines(40).split(separator: "\n").map { $0 + "\n" }
        #expect(try await ledgerbot("ledger", "import", "--data", data, stdin: Data(lines[..<30].joined().utf8)).status == 0)
        #expect(try await ledgerbot("ledger", "import", "--data", data, stdin: Data(lines[30...].joined().utf8)).status == 0)
        let directory = LedgerDirectory(dataPath: data)
        let path = directory.segmentPath(try #require(try directory.segmentNames().last))
        let size = try #require(try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int)
        #expect(truncate(path, off_t(size - 10)) == 0)

        let failed = try await ledgerbot("ledger", "copy", "--from", data, "--to", copy)
        #expect(failed.status == 2 && failed.stderr.contains("index shows it was acknowledged"), "\(failed.stderr)")
        let left = try await ledgerbot("ledger", "stats", "--data", copy, "--format", "json")
        let kept = try #require((try JSONSerialization.jsonObject(with: Data(left.stdout.utf8)) as? [String: Any])?["events"] as? Int)
        #expect(kept >= 30 && kept < 40, "the events before the damaged frame: \(kept)")
        #expect(try await ledgerbot("ledger", "repair", "--data", data).status == 0)

        let resumed = try await ledgerbot("ledger", "copy", "--from", data, "--to", copy)
        #expect(resumed.status == 0 && resumed.stdout.contains("equal:"), "\(resumed.stdout)\(resumed.stderr)")
        #expect(resumed.stderr.contains("already holds the source's first \(kept) events"), "\(resumed.stderr)")
        #expect(try await ledgerbot("ledger", "export", "--data", copy).stdout == (try await ledgerbot("ledger", "export", "--data", data)).stdout)
    }

    /// Importing again is safe: a file whose events the ledger already holds at the same seqs,
    /// equal, is not appended twice, and a stopped import's stored part is skipped while the rest
    /// goes on at its own seqs. A file whose events differ is another ledger's: merged after the head.
    @Test func importingAgainSkipsWhatTheLedgerHoldsAndMergesAnotherLedger() async throws {
        let temp = TemporaryDirectory()
        let data = temp.path + "/data"
        let lines = try sampleLines(40)
        let firstTwelve = lines.split(separator: "\n").prefix(12).map { $0 + "\n" }.joined()
        // The part a stopped import stored, then the whole file: the rest at its own seqs.
        #expect(try await ledgerbot("ledger", "import", "--data", data, stdin: Data(firstTwelve.utf8)).status == 0)
        let rest = try await ledgerbot("ledger", "import", "--data", data, stdin: Data(lines.utf8))
        #expect(rest.status == 0, "\(rest.stderr)")
        #expect(rest.stderr.contains("12 events of the input are in the ledger already"), "\(rest.stderr)")
        #expect(rest.stderr.contains("imported 28 events as seq 13 … 40") && !rest.stderr.contains("renumbered"), "\(rest.stderr)")
        #expect(try await ledgerbot("ledger", "export", "--data", data).stdout == lines)
        // The same file again, and a part of it: nothing appended.
        for input in [lines, firstTwelve] {
            let again = try await ledgerbot("ledger", "import", "--data", data, stdin: Data(input.utf8))
            #expect(again.status == 0 && !again.stderr.contains("events as seq") && again.stderr.contains("not imported again"), "\(again.stderr)")
            #expect(try await ledgerbot("ledger", "export", "--data", data).stdout == lines)
        }
        // A stopped import's part, then another writer's events, then the import again: the
        // part is skipped, the rest renumbered after the other writer's events.
        let data2 = temp.path + "/data2"
        #expect(try await ledgerbot("ledger", "import", "--data", data2, stdin: Data(firstTwelve.utf8)).status == 0)
        let otherWriter = lines.split(separator: "\n").prefix(15).map { $0 + "\n" }.joined().replacingOccurrences(of: "\"d13\"", with: "\"w13\"")
        #expect(try await ledgerbot("ledger", "import", "--data", data2, stdin: Data(otherWriter.utf8)).status == 0) // 13 … 15 differ from the file's
        let resumed = try await ledgerbot("ledger", "import", "--data", data2, stdin: Data(lines.utf8))
        #expect(resumed.stderr.contains("12 events of the input are in the ledger already"), "\(resumed.stderr)")
        #expect(resumed.stderr.contains("imported 28 events as seq 16 … 43 (renumbered"), "\(resumed.stderr)")
        // Another ledger's events at the same seqs (its first differs): appended after the head.
        let other = lines.replacingOccurrences(of: "\"d1\"", with: "\"x1\"")
        let merged = try await ledgerbot("ledger", "import", "--data", data, stdin: Data(other.utf8))
        #expect(merged.stderr.contains("imported 40 events as seq 41 … 80 (renumbered"), "\(merged.stderr)")
        #expect(!merged.stderr.contains("already"), "\(merged.stderr)")
    }

    /// A copy that stopped part way left the source's first events: the next copy proves them the
    /// source's by the content hash chain and goes on after them. A destination holding anything
    /// else — other events, or more than the source has — is refused and left as it was.
    @Test func copyResumesAfterTheSourcesFirstEventsAndRefusesAnyOtherDestination() async throws {
        let temp = TemporaryDirectory()
        let source = temp.path + "/source", copy = temp.path + "/copy"
        let lines = try sampleLines(40)
        #expect(try await ledgerbot("ledger", "import", "--data", source, stdin: Data(lines.utf8)).status == 0)
        let firstTwelve = try await ledgerbot("ledger", "export", "--data", source, "--through", "12")
        #expect(try await ledgerbot("ledger", "import", "--data", copy, stdin: Data(firstTwelve.stdout.utf8)).status == 0)

        let resumed = try await ledgerbot("ledger", "copy", "--from", source, "--to", copy, "--format", "json")
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(resumed.stderr.contains("already holds the source's first 12 events"), "\(resumed.stderr)")
        let report = try JSONSerialization.jsonObject(with: Data(resumed.stdout.utf8)) as! [String: Any]
        #expect(report["equal"] as? Bool == true && report["destination_events"] as? Int == 40)
        #expect(try await ledgerbot("ledger", "export", "--data", copy).stdout == lines)

        // Other events: the same count, one meta changed.
        let other = temp.path + "/other"
        let changed = lines.replacingOccurrences(of: "\"d3\"", with: "\"x3\"")
        #expect(changed != lines)
        #expect(try await ledgerbot("ledger", "import", "--data", other, stdin: Data(changed.utf8)).status == 0)
        let foreign = try await ledgerbot("ledger", "copy", "--from", source, "--to", other)
        #expect(foreign.status == 2 && foreign.stderr.contains("not the source's first 40"), "\(foreign.stderr)")
        #expect(try await ledgerbot("ledger", "export", "--data", other).stdout == changed, "left as it was")
        // More events than the source has.
        let shorter = temp.path + "/shorter"
        #expect(try await ledgerbot("ledger", "import", "--data", shorter, stdin: Data(firstTwelve.stdout.utf8)).status == 0)
        let longer = try await ledgerbot("ledger", "copy", "--from", shorter, "--to", copy)
        #expect(longer.status == 2 && longer.stderr.contains("more than the source's 12"), "\(longer.stderr)")
        #expect(try await ledgerbot("ledger", "export", "--data", copy).stdout == lines)
    }

    /// Ranges that cannot match are usage errors (exit 64), a head hash may be given by its first
    /// 16 hex digits (the demo prints it shortened), and a replay that compared nothing says so
    /// instead of "every decision equals the recorded one".
    @Test func emptyRangesAreUsageErrorsAndAReplayThatComparedNothingSaysSo() async throws {
        let temp = TemporaryDirectory()
        let data = temp.path + "/data"
        #expect(try await ledgerbot("ledger", "import", "--data", data, stdin: Data(try sampleLines(12).utf8)).status == 0)
        let negative = try await ledgerbot("replay", "--data", data, "--limit=-1")
        #expect(negative.status == 64 && negative.stderr.contains("--limit must be 0 or more"), "\(negative.stderr)")
        let inverted = try await ledgerbot("replay", "--data", data, "--since", "2030-01-01T00:00:00Z", "--until", "2020-01-01T00:00:00Z")
        #expect(inverted.status == 64 && inverted.stderr.contains("is after --until"), "\(inverted.stderr)")
        let export = try await ledgerbot("ledger", "export", "--data", data, "--from", "20", "--through", "10")
        #expect(export.status == 64 && export.stderr.contains("is before --from"), "\(export.stderr)")

        let json = try await ledgerbot("ledger", "verify", "--data", data, "--format", "json")
        let head = try #require((try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])?["head_hash"] as? String)
        #expect(try await ledgerbot("ledger", "verify", "--data", data, "--expect-head", String(head.prefix(16))).status == 0)
        #expect(try await ledgerbot("ledger", "verify", "--data", data, "--expect-head", head.uppercased()).status == 0)
        #expect(try await ledgerbot("ledger", "verify", "--data", data, "--expect-head", String(repeating: "0", count: 16)).status == 1)
        let notHex = try await ledgerbot("ledger", "verify", "--data", data, "--expect-head", "not-a-hash")
        #expect(notHex.status == 64 && notHex.stderr.contains("64 hex digits"), "\(notHex.stderr)")

        let nothing = try await ledgerbot("replay", "--data", data, "--conversation", "99999")
        #expect(nothing.status == 0)
        #expect(nothing.stdout.contains("Nothing was compared") && !nothing.stdout.contains("equals the recorded one"), "\(nothing.stdout)")
        // Checked before the work, not after it; a folder is not a policy file.
        let html = try await ledgerbot("replay", "--data", data, "--html", temp.path + "/missing-folder/report.html")
        #expect(html.status == 64 && html.stderr.contains("does not exist or is not writable"), "\(html.stderr)")
        let folder = try await ledgerbot("policy", "check", temp.path)
        #expect(folder.status == 2 && folder.stderr.contains("a directory, not a policy file"), "\(folder.stderr)")
    }

    /// A recorded decision that differs from the re-derived one only in a score reads the same
    /// in the summary lines: replay names the first differing field with both values.
    @Test func aDifferenceOnlyInAScoreIsNamedByItsPath() async throws {
        let snapshot = fixturesDirectory().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("snapshots/support-triage/ledger.jsonl")
        let lines = try String(contentsOf: snapshot, encoding: .utf8)
        let edited = lines.replacingOccurrences(of: #"{"confidence":0.0247,"intent":"goodbye"}"#, with: #"{"confidence":0.0248,"intent":"goodbye"}"#)
        #expect(edited != lines)
        let temp = TemporaryDirectory()
        let data = temp.path + "/data"
        #expect(try await ledgerbot("ledger", "import", "--data", data, stdin: Data(edited.utf8)).status == 0)
        let replay = try await ledgerbot("replay", "--data", data)
        #expect(replay.status == 1)
        #expect(replay.stdout.contains("first difference at explanation.nlu.ranking[1].confidence: recorded 0.0248, replayed 0.0247"), "\(replay.stdout)")
        let json = try await ledgerbot("replay", "--data", data, "--format", "json")
        #expect(json.stdout.contains(#""path" : "explanation.nlu.ranking[1].confidence""#) || json.stdout.contains(#""path":"explanation.nlu.ranking[1].confidence""#), "\(json.stdout)")
    }

    /// Read-only commands that meet damage say what to do about it, as the writers do.
    @Test func readersMeetingDamageSayHowToRepairIt() async throws {
        let temp = TemporaryDirectory()
        let data = temp.path + "/data"
        #expect(try await ledgerbot("ledger", "import", "--data", data, stdin: Data(try sampleLines(8).utf8)).status == 0)
        let more = try sampleLines(16).split(separator: "\n").dropFirst(8).joined(separator: "\n") + "\n"
        #expect(try await ledgerbot("ledger", "import", "--data", data, stdin: Data(more.utf8)).status == 0)
        let directory = LedgerDirectory(dataPath: data)
        let path = directory.segmentPath(try #require(try directory.segmentNames().first))
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        bytes[SegmentFormat.headerSize + 80] ^= 0xFF // inside the first frame's payload: damage, not a torn tail
        try bytes.write(to: URL(fileURLWithPath: path))
        for command in [["ledger", "stats"], ["ledger", "export"], ["replay"]] {
            let result = try await offPool { [binary] in try runProcess(binary, command + ["--data", data]) }
            #expect(result.status == 2, "\(command): \(result.stderr)")
            #expect(result.stderr.contains("checksum mismatch") && result.stderr.contains("`ledgerbot ledger repair`"), "\(command): \(result.stderr)")
        }
    }

    /// An import that fails (a bad line: nothing is appended) into a directory it created leaves
    /// no empty ledger behind; into an existing ledger it leaves that ledger as it was.
    @Test func aFailedImportLeavesNoEmptyLedgerBehind() async throws {
        let temp = TemporaryDirectory()
        let bad = try sampleLines(3) + "{not json}\n"
        let fresh = temp.path + "/fresh"
        let failed = try await ledgerbot("ledger", "import", "--data", fresh, stdin: Data(bad.utf8))
        #expect(failed.status == 2 && failed.stderr.contains("line 4"), "\(failed.stderr)")
        #expect(!FileManager.default.fileExists(atPath: fresh))
        let existing = temp.path + "/existing"
        #expect(try await ledgerbot("ledger", "import", "--data", existing, stdin: Data(try sampleLines(2).utf8)).status == 0)
        #expect(try await ledgerbot("ledger", "import", "--data", existing, stdin: Data(bad.utf8)).status == 2)
        let stats = try await ledgerbot("ledger", "stats", "--data", existing)
        #expect(stats.status == 0 && stats.stdout.contains("2 (seq 1 … 2)"), "\(stats.stdout)")
    }

    /// `replay --live` refuses to start when a lookup of the new version names a variable that
    /// is not set: performed against nothing, its failures would read as the new version's behaviour.
    @Test func liveReplayNamesAnUnsetLookupVariable() async throws {
        let root = fixturesDirectory().deletingLastPathComponent().deletingLastPathComponent()
        let temp = TemporaryDirectory()
        let data = temp.path + "/data"
        let lines = try Data(contentsOf: root.appendingPathComponent("snapshots/ecommerce-orders/ledger.jsonl"))
        #expect(try await ledgerbot("ledger", "import", "--data", data, stdin: lines).status == 0)
        var environment = ProcessInfo.processInfo.environment
        environment["ORDERS_API"] = nil
        let without = environment
        let policy = root.appendingPathComponent("examples/ecommerce-orders.yml").path
        let result = try await offPool { [binary] in try runProcess(binary, ["replay", "--data", data, "--policy", policy, "--live"], environment: without) }
        #expect(result.status == 2, "\(result.stderr)")
        #expect(result.stderr.contains("lookup 'order_status' refers to ${ORDERS_API}, which is not set"), "\(result.stderr)")
    }
}
