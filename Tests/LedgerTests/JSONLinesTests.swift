import Foundation
import JSONScan
import LedgerbotTesting
import Testing
@testable import Ledger

@Suite struct JSONLinesTests {
    private func decode(_ line: [UInt8]) throws -> LedgerEvent {
        try line.withUnsafeBytes { try JSONLines.decode($0) }
    }

    @Test func linesRoundTripEveryKindOfBody() throws {
        let compact = Array("{\"event\":\"message_created\",\"content\":\"Olá, \\\"aspas\\\" e ção\"}".utf8)
        let pretty = try chatwootFixture("webhook-message_created-incoming.json") // has line breaks: must go base64
        let bodies: [[UInt8]] = [compact, pretty, [], [0xFF, 0x00, 0x0A], Array(" {}".utf8), Array("42".utf8), Array("not json".utf8)]
        for (i, body) in bodies.enumerated() {
            let event = LedgerEvent(seq: Seq(i + 1), stream: "1/\"q\"\n", type: "webhook.received", time: 1_778_663_742_318_123,
                                    causation: i == 0 ? nil : Seq(i), body: body, meta: i % 2 == 0 ? Array("{\"delivery\":\"d-\(i)\"}".utf8) : [])
            let line = JSONLines.encode(event)
            #expect(!line.contains(0x0A))
            #expect(JSONScanner.isValid(line))
            #expect(try decode(line) == event)
        }
        let inline = String(decoding: JSONLines.encode(LedgerEvent(seq: 1, stream: "s", type: "t", time: 0, causation: nil, body: compact)), as: UTF8.self)
        #expect(inline == #"{"seq":1,"time":"1970-01-01T00:00:00.000000Z","stream":"s","type":"t","causation":null,"body":{"event":"message_created","content":"Olá, \"aspas\" e ção"}}"#)
    }

    @Test(arguments: [
        (#"{"seq":1,"time":"2026-05-13T09:15:42Z","stream":"s","type":"t","causation":null}"#, "missing \"body\""),
        (#"{"seq":0,"time":"2026-05-13T09:15:42Z","stream":"s","type":"t","causation":null,"body":{}}"#, "positive integer"),
        (#"{"seq":1,"time":"yesterday","stream":"s","type":"t","causation":null,"body":{}}"#, "ISO 8601"),
        (#"{"seq":1,"time":"2026-05-13T09:15:42Z","stream":"s","type":"t","causation":null,"body":{},"extra":1}"#, "unknown field"),
        (#"{"seq":1,"time":"2026-05-13T09:15:42Z","stream":"s","type":"t","causation":null,"body":{"#, "invalid JSON"),
        (#"{"seq":1,"time":"2026-05-13T09:15:42Z","stream":"s","type":"t","causation":null,"body_base64":"@@"}"#, "base64"),
        (#"[1,2]"#, "expected a JSON object"),
        (#"{"seq":1,"seq":2}"#, "appears twice"),
    ])
    func badLinesAreRejectedWithAReason(line: String, reason: String) {
        #expect { _ = try decode(Array(line.utf8)) } throws: { "\($0)".contains(reason) }
    }

    @Test func timestampsFormatAndParseBothWays() {
        for micros: Int64 in [0, 1, 1_778_663_742_318_000, 951_782_400_000_000 /* 2000-02-29 */, -1_000_001, 4_102_444_800_000_000] {
            #expect(Timestamp.parse(Timestamp.iso8601(micros: micros)) == micros)
        }
        #expect(Timestamp.iso8601(micros: 1_778_663_742_318_000) == "2026-05-13T09:15:42.318000Z")
        #expect(Timestamp.parse("2026-05-13T11:15:42.318+02:00") == 1_778_663_742_318_000)
        #expect(Timestamp.parse("2026-13-13T11:15:42Z") == nil)
        #expect(Timestamp.parse("2026-05-13T11:15:42") == nil)
        // An inclusive end takes the whole of the precision written (`replay --until`).
        #expect(Timestamp.parseEnd("2026-05-13T09:15:42Z") == 1_778_663_742_999_999)
        #expect(Timestamp.parseEnd("2026-05-13T11:15:42.3+02:00") == 1_778_663_742_399_999)
        #expect(Timestamp.parseEnd("2026-05-13T09:15:42.318000Z") == 1_778_663_742_318_000)
        #expect(Timestamp.parseEnd("2026-05-13T09:15:42.3180001Z") == 1_778_663_742_318_000)
        #expect(Timestamp.parseEnd("2026-05-13") == nil)
    }

    @Test func importThenExportGivesBackIdenticalLinesAndBadInputAppendsNothing() async throws {
        let temp = TemporaryDirectory()
        let incoming = try chatwootFixture("webhook-message_created-incoming.json")
        var lines: [[UInt8]] = []
        for n in 1...300 {
            let type = n % 5 == 0 ? "decision" : "webhook.received"
            let causation: Seq? = n > 1 && n % 5 == 0 ? Seq(n - 1) : nil
            let body = n % 3 == 0 ? incoming : Array("{\"n\":\(n)}".utf8)
            lines.append(JSONLines.encode(LedgerEvent(seq: Seq(n), stream: "1/\(n % 7)", type: type,
                                                      time: 1_778_663_742_000_000 + Int64(n) * 1000, causation: causation, body: body)))
        }
        let input = temp.path + "/in.jsonl"
        try Data(lines.joined(separator: [0x0A]) + [0x0A]).write(to: URL(fileURLWithPath: input))
        let (ledger, _) = try FileLedger.open(directory: temp.ledger)
        let report = try await LedgerImport.run(path: input, into: ledger, batchBytes: 4096)
        #expect(report.events == 300)
        #expect(report.seqsPreserved)
        await ledger.close()
        let exported = try readAll(temp.ledger).map(JSONLines.encode)
        #expect(exported == lines)

        // A bad line in the middle: error names it, nothing is appended.
        var broken = lines
        broken[149] = Array("{\"seq\":150,\"oops\":true}".utf8)
        try Data(broken.joined(separator: [0x0A])).write(to: URL(fileURLWithPath: input))
        let (again, _) = try FileLedger.open(directory: temp.ledger)
        await #expect { _ = try await LedgerImport.run(path: input, into: again) } throws: { error in
            (error as? LedgerImport.LineError)?.line == 150
        }
        #expect(await again.headSeq() == 300)

        // The same file again appends nothing: the ledger holds every event of it, equal.
        try Data(lines.joined(separator: [0x0A])).write(to: URL(fileURLWithPath: input))
        let same = try await LedgerImport.run(path: input, into: again)
        #expect(same.events == 0 && same.alreadyHeld == 300)
        // Another ledger's file (here: the same events a second later) is renumbered after the
        // head, and causations inside the file follow their events.
        let other = lines.map { line in
            var event = try! decode(line)
            event.time += 1_000_000
            return JSONLines.encode(event)
        }
        try Data(other.joined(separator: [0x0A])).write(to: URL(fileURLWithPath: input))
        let second = try await LedgerImport.run(path: input, into: again)
        #expect(!second.seqsPreserved && second.alreadyHeld == 0)
        #expect(second.firstSeq == 301 && second.lastSeq == 600)
        await again.close()
        let events = try readAll(temp.ledger)
        #expect(events[304].causation == 304) // seq 305 (was 5) points at 304 (was 4)
    }
}

@Suite struct JSONScannerTests {
    @Test(arguments: [
        "{}", "[]", "0", "-1.5e10", "\"\\u00e9\\ud83d\\ude00\"", "{\"a\":[1,{\"b\":null}],\"c\":true}", " [ 1 , 2 ] ",
    ])
    func validJSONIsAccepted(text: String) { #expect(JSONScanner.isValid(Array(text.utf8))) }

    @Test(arguments: [
        "", "{", "{\"a\"}", "[1,]", "01", "1.", "\"\\x\"", "\"abc", "{\"a\":1}x", "tru", "\"\u{01}\"",
    ])
    func invalidJSONIsRejected(text: String) { #expect(!JSONScanner.isValid(Array(text.utf8))) }

    @Test func invalidUTF8AndDeepNestingAreRejectedWithoutCrashing() {
        #expect(!JSONScanner.isValid([0x22, 0xC3, 0x28, 0x22]))
        #expect(!JSONScanner.isValid([0x22, 0xED, 0xA0, 0x80, 0x22])) // UTF-16 surrogate encoded in UTF-8
        let deep = Array(String(repeating: "[", count: 100_000).utf8) + Array(String(repeating: "]", count: 100_000).utf8)
        #expect(!JSONScanner.isValid(deep))
        let ok = Array(String(repeating: "[", count: 500).utf8) + Array(String(repeating: "]", count: 500).utf8)
        #expect(JSONScanner.isValid(ok))
        // The scanner is iterative: even with no depth limit a million levels cannot overflow the stack.
        let million = Array(String(repeating: "[", count: 1_000_000).utf8) + Array(String(repeating: "]", count: 1_000_000).utf8)
        #expect(JSONScanner.isValid(million, maximumDepth: .max))
        #expect(!JSONScanner.isValid(million))
    }

    @Test func membersGiveExactValueRanges() throws {
        let text = Array(#"{"a" : {"x":[1,2]}, "b\n":"q\"", "c":-3}"#.utf8)
        let members = try text.withUnsafeBytes { try JSONScanner.members(of: $0) }
        #expect(members.map(\.key) == ["a", "b\n", "c"])
        #expect(String(decoding: text[members[0].value], as: UTF8.self) == #"{"x":[1,2]}"#)
        #expect(try text.withUnsafeBytes { try JSONScanner.string(in: $0, at: members[1].value) } == "q\"")
        #expect(text.withUnsafeBytes { JSONScanner.integer(in: $0, at: members[2].value) } == -3)
    }

    /// Splitting already validated bytes must find exactly what the validating split finds, at
    /// every level of every Chatwoot fixture and of bodies with every awkward string.
    @Test func validatedSplittingAgreesWithTheValidatingScannerAtEveryLevel() throws {
        let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/chatwoot")
        var bodies = try FileManager.default.contentsOfDirectory(atPath: fixtures.path).sorted().map {
            try [UInt8](Data(contentsOf: fixtures.appendingPathComponent($0)))
        }
        #expect(bodies.count >= 10)
        bodies.append(Array(#"{"a\"{":"}]\\","b":[ "[", {"c":"\"}"} , -1.5e3, true ,null,[]],"d":{}, "e" : 0 }"#.utf8))
        bodies.append(Array(#"  {"é":"ü\u00e9","k":{"x":{"y":[[],[{}]]}}}  "#.utf8))
        var compared = 0
        for body in bodies {
            try body.withUnsafeBytes { bytes in
                func walk(_ range: Range<Int>) throws {
                    switch bytes[range.lowerBound] {
                    case UInt8(ascii: "{"):
                        let expected = try JSONScanner.members(in: bytes, at: range)
                        let found = try #require(JSONScanner.members(ofValidated: bytes, at: range))
                        #expect(found.map(\.key) == expected.map(\.key))
                        #expect(found.map(\.value) == expected.map(\.value))
                        compared += 1
                        for member in expected { try walk(member.value) }
                    case UInt8(ascii: "["):
                        let expected = try JSONScanner.elements(in: bytes, at: range)
                        #expect(JSONScanner.elements(ofValidated: bytes, at: range) == expected)
                        #expect(JSONScanner.elements(ofValidated: bytes, at: range, limit: 1) == Array(expected.prefix(1)))
                        compared += 1
                        for element in expected { try walk(element) }
                    default:
                        break
                    }
                }
                let root = try JSONScanner.members(of: bytes)
                for member in root { try walk(member.value) }
            }
        }
        #expect(compared > 100)
    }

    /// The scanner reads strings eight bytes at a time: whatever ends, escapes or invalidates a
    /// string must be found at every offset within those words.
    @Test func everySpecialByteIsFoundAtEveryOffset() throws {
        let specials: [(bytes: [UInt8], valid: Bool)] = [
            (Array(#"\""#.utf8), true), (Array(#"\\"#.utf8), true), (Array(#"\n"#.utf8), true), (Array("é".utf8), true),
            (Array("😀".utf8), true), ([0x01], false), ([0x1F], false), ([0x0A], false), ([0xFF], false), ([0xC3], false), (Array(#"\x"#.utf8), false),
        ]
        for special in specials {
            for offset in 0..<20 {
                let inner = Array(repeating: UInt8(ascii: "a"), count: offset) + special.bytes + Array(repeating: UInt8(ascii: "b"), count: 11)
                let body = Array(#"{"k":""#.utf8) + inner + Array(#"","z":[1]}"#.utf8)
                #expect(JSONScanner.isValid(body) == special.valid, "\(special.bytes) at \(offset)")
                guard special.valid else { continue }
                try body.withUnsafeBytes { bytes in
                    let members = try JSONScanner.members(of: bytes)
                    #expect(members.map(\.key) == ["k", "z"])
                    #expect(members.first.map { $0.value.count } == inner.count + 2)
                    #expect(JSONScanner.members(ofValidated: bytes, at: 0..<bytes.count)?.map(\.value) == members.map(\.value))
                }
            }
        }
        // A quote right after a run of eight plain bytes ends the string there.
        let early = Array(#"{"k":"aaaaaaaa","z":"bbbbbbbbbbbbbbbb"}"#.utf8)
        let keys = try early.withUnsafeBytes { try JSONScanner.members(of: $0).map(\.key) }
        #expect(keys == ["k", "z"])
    }

    @Test func validatedSplittingNeverReadsOutOfBoundsOnGarbage() {
        var generator = SeededGenerator(state: 7)
        let alphabet = Array(#"{}[]",:\ a1-"#.utf8)
        for _ in 0..<20_000 {
            let body = (0..<Int.random(in: 1...24, using: &generator)).map { _ in alphabet.randomElement(using: &generator)! }
            body.withUnsafeBytes { bytes in
                _ = JSONScanner.members(ofValidated: bytes, at: 0..<bytes.count)
                _ = JSONScanner.elements(ofValidated: bytes, at: 0..<bytes.count)
            }
        }
    }
}
