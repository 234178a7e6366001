import Foundation
import LedgerbotTesting
import Testing
@testable import Ledger

@Suite struct LedgerIndexTests {
    @Test func deletingTheIndexAndRebuildingRestoresItExactly() async throws {
        let temp = TemporaryDirectory()
        var configuration = LedgerConfiguration()
        configuration.segmentSize = 8192
        let (ledger, _) = try FileLedger.open(directory: temp.ledger, configuration: configuration)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for writer in 0..<8 {
                group.addTask { for n in 0..<30 { _ = try await ledger.append([draft(writer * 100 + n, stream: "1/\(writer)", bytes: 200)]) } }
            }
            try await group.waitForAll()
        }
        await ledger.close()
        let live = try LedgerIndex(path: temp.ledger.indexPath, ledgerID: try temp.ledger.readManifest()).dump()
        #expect(live.filter { $0.hasPrefix("event ") }.count == 240)
        #expect(Set(live.filter { $0.hasPrefix("frame ") }.map { $0.split(separator: " ")[3] }).count > 1, "spans several segments")

        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: temp.ledger.indexPath + suffix) }
        let report = try await FileLedger.rebuildIndex(directory: temp.ledger, configuration: configuration)
        #expect(report.headSeq == 240)
        let rebuilt = try LedgerIndex(path: temp.ledger.indexPath, ledgerID: try temp.ledger.readManifest()).dump()
        #expect(rebuilt == live)
    }

    @Test func theIndexFindsFramesAndStreamsAndStoresCheckpoints() async throws {
        let temp = TemporaryDirectory()
        let (ledger, _) = try FileLedger.open(directory: temp.ledger)
        for n in 1...20 { _ = try await ledger.append([draft(n, stream: "1/\(n % 3)")]) }
        await ledger.close()
        let index = try LedgerIndex(path: temp.ledger.indexPath, ledgerID: try temp.ledger.readManifest())
        #expect(try index.seqs(inStream: "1/1") == [1, 4, 7, 10, 13, 16, 19])
        let frame = try #require(try index.frame(containing: 7))
        #expect(frame.firstSeq <= 7 && frame.lastSeq >= 7)
        #expect(try index.frame(containing: 99) == nil)
        try index.connection.transaction { try index.setCheckpoint("conversations", to: 12) }
        #expect(try index.checkpoint("conversations") == 12)
        #expect(try index.checkpoint("never") == 0)
    }

    @Test func anIndexFromAnotherLedgerIsReplaced() async throws {
        let temp = TemporaryDirectory()
        let (ledger, _) = try FileLedger.open(directory: temp.ledger)
        for n in 1...5 { _ = try await ledger.append([draft(n)]) }
        await ledger.close()
        // An index from another ledger is replaced, not trusted.
        let other = TemporaryDirectory()
        let (foreign, _) = try FileLedger.open(directory: other.ledger)
        _ = try await foreign.append([draft(1)])
        await foreign.close()
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: temp.ledger.indexPath + suffix) }
        for suffix in ["", "-wal"] where FileManager.default.fileExists(atPath: other.ledger.indexPath + suffix) {
            try FileManager.default.copyItem(atPath: other.ledger.indexPath + suffix, toPath: temp.ledger.indexPath + suffix)
        }
        let (reopened, report) = try FileLedger.open(directory: temp.ledger)
        await reopened.close()
        #expect(report.indexRebuilt)
        let index = try LedgerIndex(path: temp.ledger.indexPath, ledgerID: try temp.ledger.readManifest())
        #expect(try index.lastFrame()?.lastSeq == 5)
    }
}
