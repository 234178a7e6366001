import Foundation
import LedgerbotTesting
@testable import Ledger

extension TemporaryDirectory {
    var ledger: LedgerDirectory { LedgerDirectory(dataPath: path + "/data") }
}

func draft(_ n: Int, stream: String = "1/1", bytes: Int = 0) -> EventDraft {
    var body = Array("{\"event\":\"message_created\",\"id\":\(n),\"content\":\"hello number \(n)\"}".utf8)
    if bytes > body.count { body = Array(repeating: UInt8(ascii: "x"), count: bytes - body.count) + body }
    return EventDraft(stream: stream, type: "webhook.received", time: 1_778_663_742_000_000 + Int64(n), causation: n > 1 ? Seq(n - 1) : nil, body: body)
}

func fastConfiguration() -> LedgerConfiguration {
    var configuration = LedgerConfiguration()
    configuration.durability = .none
    return configuration
}

func readAll(_ directory: LedgerDirectory) throws -> [LedgerEvent] {
    let cursor = try LedgerCursor(directory: directory)
    var events: [LedgerEvent] = []
    while let event = try cursor.next() { events.append(event) }
    return events
}

func segmentPaths(_ directory: LedgerDirectory) throws -> [String] {
    try directory.segmentNames().map { directory.segmentPath($0) }
}
