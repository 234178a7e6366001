import Foundation
import LedgerbotTesting
import Testing
@testable import Ledger

@Suite struct RecoveryTests {
    private func makeLedger(frames: Int) async throws -> (TemporaryDirectory, String, [Int64]) {
        let temp = TemporaryDirectory()
        var ends: [Int64] = []
        for n in 1...frames {
            let (ledger, _) = try FileLedger.open(directory: temp.ledger, configuration: fastConfiguration())
            _ = try await ledger.append([draft(2 * n - 1), draft(2 * n)])
            await ledger.close()
            let path = try segmentPaths(temp.ledger)[0]
            ends.append(try FileSystem.fileSize(path))
        }
        return (temp, try segmentPaths(temp.ledger)[0], ends)
    }

    @Test func truncatingTheLastFrameAtEveryOffsetRecoversExactlyTheEarlierFrames() async throws {
        let (temp, path, ends) = try await makeLedger(frames: 4)
        let original = try Data(contentsOf: URL(fileURLWithPath: path))
        let lastStart = ends[ends.count - 2]
        let expected = try readAll(temp.ledger).filter { $0.seq <= 6 }
        for cut in lastStart..<ends.last! {
            try original.prefix(Int(cut)).write(to: URL(fileURLWithPath: path))
            try? FileManager.default.removeItem(atPath: temp.ledger.indexPath) // the index would (rightly) call this damage
            let (ledger, report) = try FileLedger.open(directory: temp.ledger, configuration: fastConfiguration())
            #expect(report.headSeq == 6)
            if cut > lastStart {
                #expect(report.truncated?.offset == lastStart)
                #expect(report.truncated?.bytes == cut - lastStart)
            }
            await ledger.close()
            #expect(try FileSystem.fileSize(path) == lastStart)
            #expect(try readAll(temp.ledger) == expected)
        }
    }

    @Test func aBitFlipInAMiddleFrameIsReportedPreciselyAndBlocksTheWriterUntilRepaired() async throws {
        let (temp, path, ends) = try await makeLedger(frames: 5)
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        let frameStart = ends[1] // third frame: seqs 5 and 6
        bytes[Int(frameStart) + FrameFormat.headerSize + 3] ^= 0x10
        try bytes.write(to: URL(fileURLWithPath: path))

        let report = try LedgerInspection.verify(directory: temp.ledger)
        #expect(!report.isIntact)
        #expect(report.problem?.location == LedgerError.Location(segment: SegmentFormat.fileName(firstSeq: 1), offset: frameStart, seq: 5))
        #expect(report.events == 4, "the frames before the damage are intact")

        #expect { _ = try FileLedger.open(directory: temp.ledger) } throws: { error in
            let e = error as? LedgerError
            return e?.kind == .corrupted && e?.location?.offset == frameStart && "\(error)".contains("ledger repair")
        }

        let (repaired, repairReport) = try FileLedger.open(directory: temp.ledger, repair: true)
        #expect(repairReport.headSeq == 4)
        #expect(repairReport.quarantined.count == 1)
        _ = try await repaired.append([draft(77)])
        await repaired.close()
        let quarantined = try Data(contentsOf: URL(fileURLWithPath: temp.ledger.quarantinePath + "/" + repairReport.quarantined[0]))
        #expect(quarantined == bytes[Int(frameStart)...], "repair keeps the damaged bytes")
        #expect(try LedgerInspection.verify(directory: temp.ledger).isIntact)
    }

    @Test(arguments: [0, 2])
    func aCursorReturnsEverythingBeforeDamageThenThrowsItsLocation(decoders: Int) async throws {
        let (temp, path, ends) = try await makeLedger(frames: 6)
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        bytes[Int(ends[2]) + FrameFormat.headerSize + 1] ^= 0x20 // fourth frame: seqs 7 and 8
        try bytes.write(to: URL(fileURLWithPath: path))
        let cursor = try LedgerCursor(directory: temp.ledger, decoders: decoders)
        var seqs: [Seq] = []
        #expect {
            while let event = try cursor.next() { seqs.append(event.seq) }
        } throws: { ($0 as? LedgerError)?.location?.offset == ends[2] }
        #expect(seqs == Array(1...6))
    }

    @Test func aModifiedByteWithAFixedUpChecksumBreaksTheHashChain() async throws {
        let (temp, path, ends) = try await makeLedger(frames: 3)
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        let start = Int(ends[0])
        let length = Int(ends[1]) - start
        bytes[start + FrameFormat.headerSize + 5] ^= 0x01
        // The attacker recomputes the CRC so only the hash chain can tell.
        let crc = bytes.withUnsafeBytes { raw in
            crc32(UnsafeRawBufferPointer(rebasing: raw[start..<start + 56]), UnsafeRawBufferPointer(rebasing: raw[(start + FrameFormat.headerSize)..<(start + length)]))
        }
        withUnsafeBytes(of: crc.littleEndian) { bytes.replaceSubrange((start + 56)..<(start + 60), with: $0) }
        try bytes.write(to: URL(fileURLWithPath: path))

        let report = try LedgerInspection.verify(directory: temp.ledger)
        #expect(report.problem?.message.contains("hash chain") == true)
        #expect(report.problem?.location?.offset == Int64(start))
        #expect(report.problem?.location?.seq == 3)
    }

    @Test func aRewrittenChainIsCaughtByTheExpectedHeadHash() async throws {
        let (temp, _, _) = try await makeLedger(frames: 2)
        let good = try LedgerInspection.verify(directory: temp.ledger)
        #expect(try LedgerInspection.verify(directory: temp.ledger, expectedHead: good.headHash.hexString).isIntact)
        let other = try LedgerInspection.verify(directory: temp.ledger, expectedHead: String(repeating: "0", count: 64))
        #expect(other.problem?.message.contains("head hash") == true)
    }

    @Test func aDamagedLastFrameThatTheIndexSawAcknowledgedIsNotMistakenForATornWrite() async throws {
        let (temp, path, ends) = try await makeLedger(frames: 3)
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        bytes[Int(ends[1]) + FrameFormat.headerSize + 2] ^= 0xFF
        try bytes.write(to: URL(fileURLWithPath: path))
        #expect { _ = try FileLedger.open(directory: temp.ledger) } throws: { ($0 as? LedgerError)?.kind == .corrupted }
    }

    @Test func zeroFilledTailAfterACrashIsTreatedAsTorn() async throws {
        let (temp, path, ends) = try await makeLedger(frames: 2)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.seekToEnd()
        handle.write(Data(repeating: 0, count: 4096))
        try handle.close()
        let (ledger, report) = try FileLedger.open(directory: temp.ledger)
        #expect(report.truncated?.bytes == 4096)
        #expect(report.headSeq == 4)
        await ledger.close()
        #expect(try FileSystem.fileSize(path) == ends.last!)
    }
}
