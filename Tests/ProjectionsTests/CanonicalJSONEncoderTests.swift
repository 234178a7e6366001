import Chatwoot
import Domain
import Foundation
import JSONScan
import Ledger
import LedgerbotTesting
import Testing

/// The canonical encoder must write exactly `JSONEncoder`'s bytes (sorted keys, unescaped
/// slashes): recorded decisions were written by `JSONEncoder`, and replay compares bytes.
struct CanonicalJSONEncoderTests {
    private static let reference: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    private func expectSameBytes<T: Encodable>(_ value: T, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let expected = [UInt8](try Self.reference.encode(value))
        let written = try CanonicalJSONEncoder.encode(value)
        #expect(String(decoding: written, as: UTF8.self) == String(decoding: expected, as: UTF8.self), sourceLocation: sourceLocation)
    }

    @Test func everyDecisionAndResultOfTheGoldenLedgersEncodesToItsRecordedBytes() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        var decisions = 0
        var results = 0
        for scenario in ["support-triage", "ecommerce-orders", "news-recommendations", "booking"] {
            let lines = try String(contentsOf: root.appendingPathComponent("snapshots/\(scenario)/ledger.jsonl"), encoding: .utf8)
            for line in lines.split(separator: "\n") {
                let event = try Array(line.utf8).withUnsafeBytes { try JSONLines.decode($0) }
                switch event.type {
                case EventType.decision:
                    #expect(try Decision.decode(event.body).encoded() == event.body, "seq \(event.seq) of \(scenario)")
                    decisions += 1
                case EventType.effectResult:
                    #expect(try EffectResult.decode(event.body).encoded() == event.body, "seq \(event.seq) of \(scenario)")
                    results += 1
                default:
                    break
                }
            }
        }
        #expect(decisions > 30 && results > 30)
    }

    @Test func randomValuesEncodeAsJSONEncoderEncodesThem() throws {
        var generator = SeededGenerator(state: 11)
        let pieces = ["a", "B", "_", "-", "1", "10", "é", "e\u{301}", "ß", "😀", " ", "/", "\"", "\\", "\n", "\t", "\u{0}", "\u{8}", "\u{C}",
                      "\u{1F}", "\u{7F}", "\u{2028}", "ﬁ", "İ", "<>&'"]
        func text() -> String { (0..<Int.random(in: 0...4, using: &generator)).map { _ in pieces.randomElement(using: &generator)! }.joined() }
        func number() -> Double {
            switch Int.random(in: 0..<4, using: &generator) {
            case 0: return Double.random(in: 0..<1, using: &generator)
            case 1: return Double(Int.random(in: -1_000_000_000_000...1_000_000_000_000, using: &generator))
            case 2:
                let value = Double(bitPattern: UInt64.random(in: 0...UInt64.max, using: &generator))
                return value.isFinite ? value : 0.5
            default: return (Double.random(in: 0..<1, using: &generator) * 10_000).rounded() / 100
            }
        }
        func value(depth: Int) -> JSONValue {
            switch Int.random(in: 0..<(depth > 2 ? 5 : 7), using: &generator) {
            case 0: return .null
            case 1: return .bool(Bool.random(using: &generator))
            case 2: return .int(Int.random(in: Int.min...Int.max, using: &generator))
            case 3: return .double(number())
            case 4: return .string(text())
            case 5: return .array((0..<Int.random(in: 0...4, using: &generator)).map { _ in value(depth: depth + 1) })
            default:
                var object: [String: JSONValue] = [:]
                for _ in 0..<Int.random(in: 0...6, using: &generator) { object[text()] = value(depth: depth + 1) }
                return .object(object)
            }
        }
        for _ in 0..<2_000 {
            let explanation = value(depth: 0)
            try expectSameBytes(explanation)
            let decision = Decision(conversation: ConversationAddress(accountId: 1, conversationId: Int.random(in: 1...999, using: &generator)),
                                    commands: [.sendMessage(OutgoingMessage(content: text()))], explanation: explanation, policy: text())
            try expectSameBytes(decision)
        }
    }

    /// The hand-written writers of decisions, commands, messages and addresses (``JSONWritable``)
    /// against `JSONEncoder` through their `Encodable` conformances: every command, every
    /// optional of a message present or absent, a decision without a policy.
    @Test func everyCommandAndMessageShapeWritesJSONEncodersBytes() throws {
        var generator = SeededGenerator(state: 29)
        let texts = ["", "hi", "a \"quoted\" / slash", "line\nbreak\u{1}", "é😀", "https://example.com/a?b=c"]
        func text() -> String { texts.randomElement(using: &generator)! }
        func maybe<T>(_ make: () -> T) -> T? { Bool.random(using: &generator) ? make() : nil }
        func message() -> OutgoingMessage {
            OutgoingMessage(content: maybe(text), messageType: [.outgoing, .incoming, .template].randomElement(using: &generator)!,
                            isPrivate: Bool.random(using: &generator),
                            contentType: [.text, .inputSelect, .cards, .form, .article, .inputEmail, .inputCSAT].randomElement(using: &generator)!,
                            contentAttributes: maybe { ["items": [["title": .string(text()), "value": 1.5]]] }, echoId: maybe(text),
                            sourceId: maybe(text), templateParams: maybe { ["name": .string(text()), "processed_params": [:]] },
                            campaignId: maybe { Int.random(in: -5...5_000_000, using: &generator) })
        }
        func command() -> Command {
            switch Int.random(in: 0..<13, using: &generator) {
            case 0: return .setStatus(.open)
            case 1: return .setStatus(.resolved)
            case 2: return .setStatus(.pending)
            case 3: return .setStatus(.snoozed(until: maybe { Date(timeIntervalSince1970: Double(Int.random(in: 0...2_000_000_000, using: &generator))) }))
            case 4: return .setPriority(maybe { [Priority.urgent, .low, Priority(rawValue: text())].randomElement(using: &generator)! })
            case 5: return .setCustomAttributes(["tier": .string(text()), "score": 2, "vip": true, text(): .null])
            case 6: return .assign([.unassigned, .agent(id: 3), .agentBot(id: 4), .team(id: 5)].randomElement(using: &generator)!)
            case 7: return .typing(on: Bool.random(using: &generator))
            case 8: return .lookup(LookupCall(name: text(), method: "GET", url: "https://api.example.com/orders/\(text())", headers: ["Accept": "application/json"],
                                              body: maybe(text), timeoutMilliseconds: 1500, idempotencyKey: maybe(text)))
            case 9: return .scheduleTimer(TimerRequest(name: "wait:0", dueAt: Int64.random(in: 0...Int64.max, using: &generator)))
            case 10: return .understand(UnderstandRequest(engine: "rasa", text: text(), session: text(), messageId: maybe(text)))
            default: return .sendMessage(message())
            }
        }
        for _ in 0..<1_000 {
            try expectSameBytes(message())
            try expectSameBytes(command())
            let decision = Decision(conversation: ConversationAddress(accountId: Int.random(in: 1...9, using: &generator), conversationId: Int.random(in: -1...Int.max, using: &generator)),
                                    commands: (0..<Int.random(in: 0...4, using: &generator)).map { _ in command() },
                                    explanation: ["rule": .string(text()), "confidence": 0.25], policy: maybe(text))
            try expectSameBytes(decision)
            #expect(try decision.encoded() == CanonicalBytes.foundationEncoded(decision))
        }
    }

    /// Each `Encoder` path: keyed, unkeyed and single-value containers, nested containers, nil
    /// and absent optionals, every integer width, floats, super encoders, a value encoding nothing.
    @Test func everyContainerPathEncodesAsJSONEncoderDoes() throws {
        struct Nothing: Encodable { func encode(to encoder: any Encoder) throws {} }
        struct Shapes: Encodable {
            enum Key: String, CodingKey { case a, b, c, d, e, f, g, h, i, nested, list, zeta = "Zeta" }
            func encode(to encoder: any Encoder) throws {
                var keyed = encoder.container(keyedBy: Key.self)
                try keyed.encodeNil(forKey: .a)
                try keyed.encodeIfPresent(nil as Int?, forKey: .b)
                try keyed.encode(nil as String?, forKey: .c)
                try keyed.encode(Int8.min, forKey: .d)
                try keyed.encode(UInt64.max, forKey: .e)
                try keyed.encode(Float(0.1), forKey: .f)
                try keyed.encode(Nothing(), forKey: .g)
                try keyed.encode([1.0, 2.5, -0.0, 1e21], forKey: .h)
                try keyed.encode(["z": [Int16(-3)], "a": []], forKey: .i)
                var nested = keyed.nestedContainer(keyedBy: Key.self, forKey: .nested)
                try nested.encode(true, forKey: .zeta)
                try nested.encode("/x\u{8}", forKey: .a)
                var list = keyed.nestedUnkeyedContainer(forKey: .list)
                try list.encodeNil()
                try list.encode(UInt8(7))
                var inner = list.nestedContainer(keyedBy: Key.self)
                try inner.encode(Int32.max, forKey: .b)
                var deeper = list.nestedUnkeyedContainer()
                try deeper.encode(Float(3))
                try "super".encode(to: keyed.superEncoder())
                try 5.encode(to: keyed.superEncoder(forKey: .zeta))
            }
        }
        try expectSameBytes(Shapes())
        #expect(throws: CanonicalJSONEncoder.Unsupported.self) { try CanonicalJSONEncoder.encode(Nothing()) }
        // A key encoded again replaces its value (objects keep their members in the order encoded
        // and write the last of a repeated key).
        struct Twice: Encodable {
            enum Key: String, CodingKey { case a, b }
            func encode(to encoder: any Encoder) throws {
                var keyed = encoder.container(keyedBy: Key.self)
                try keyed.encode(1, forKey: .b)
                try keyed.encode("first", forKey: .a)
                try keyed.encode([2], forKey: .b)
                try keyed.encode("second", forKey: .a)
                try keyed.encode(3, forKey: .b)
            }
        }
        try expectSameBytes(Twice())
        #expect(try CanonicalJSONEncoder.encode(Twice()) == Array(#"{"a":"second","b":3}"#.utf8))
        #expect(throws: EncodingError.self) { try CanonicalBytes.encode(Nothing()) } // JSONEncoder's own error
        try expectSameBytes([Nothing()])
        try expectSameBytes("top-level string")
        try expectSameBytes([String: Int]())
        try expectSameBytes([[Int?]]([[1, nil], []]))
    }

    @Test func typesJSONEncoderTreatsSpeciallyAreLeftToIt() throws {
        struct Special: Encodable {
            var data = Data([1, 2, 3])
            var url = URL(string: "https://example.com/a?b=c")!
            var date = Date(timeIntervalSince1970: 1_700_000_000)
        }
        #expect(throws: CanonicalJSONEncoder.Unsupported.self) { try CanonicalJSONEncoder.encode(Special()) }
        #expect(throws: CanonicalJSONEncoder.Unsupported.self) { try CanonicalJSONEncoder.encode([Double.nan]) }
        #expect(try CanonicalBytes.encode(Special()) == [UInt8](try Self.reference.encode(Special())))
    }
}
