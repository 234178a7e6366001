import Chatwoot
import Domain
import Foundation
import Testing

/// `EffectResult.decode` reads with the scanner and falls back to `JSONDecoder`; both must agree.
struct EffectResultCodingTests {
    private func reference(_ bytes: [UInt8]) -> EffectResult? { try? JSONDecoder().decode(EffectResult.self, from: Data(bytes)) }

    @Test func everyShapeTheOutboxRecordsReadsBackEqual() throws {
        let data: [JSONValue?] = [nil, .null, ["status": "found", "fields": ["name": "Ana", "total": 12.5, "items": [1, 2]]], "text", 3]
        var results: [EffectResult] = []
        for (index, value) in data.enumerated() {
            results.append(EffectResult(decision: UInt64(10 + index), command: index, kind: "lookup", outcome: .ok, status: 200,
                                        attempts: 1, latencyMilliseconds: 12, data: value))
        }
        results.append(EffectResult(decision: 1 << 40, command: 0, kind: "send_message", outcome: .ok, status: 200, messageId: 987_654,
                                    attempts: 2, latencyMilliseconds: 0))
        results.append(EffectResult(decision: 7, command: 3, kind: "toggle_status", outcome: .failed, status: nil, attempts: 5,
                                    latencyMilliseconds: 30_000, error: "connection refused: \"chatwoot\" \\ é"))
        results.append(EffectResult(decision: 8, command: 1, kind: "send_message", outcome: .recovered, attempts: 0, latencyMilliseconds: 0))
        for result in results {
            let bytes = try result.encoded()
            var expected = result
            if expected.data == .null { expected.data = nil } // `null` reads back as absent, whoever decodes
            #expect(try EffectResult.decode(bytes) == expected)
            #expect(reference(bytes) == expected)
        }
    }

    @Test(arguments: [
        // Written by hand: other key orders, extra keys, nulls, and numbers `JSONDecoder` accepts as integers.
        #"{"kind":"lookup","outcome":"ok","decision":5,"command":0,"attempts":1,"latency_ms":3,"extra":{"x":[1]},"status":null,"data":null}"#,
        #"{"decision":5,"command":1.0,"kind":"lookup","outcome":"ok","attempts":1,"latency_ms":3}"#,
        #"{"decision":5,"command":1,"kind":"l\u006fokup","outcome":"ok","attempts":1,"latency_ms":3,"message_id":1e3}"#,
    ])
    func handWrittenBodiesReadAsJSONDecoderReadsThem(text: String) throws {
        let bytes = Array(text.utf8)
        let expected = try #require(reference(bytes))
        #expect(try EffectResult.decode(bytes) == expected)
    }

    @Test(arguments: [
        #"{"decision":5,"command":0,"kind":"lookup","outcome":"maybe","attempts":1,"latency_ms":3}"#,
        #"{"decision":-5,"command":0,"kind":"lookup","outcome":"ok","attempts":1,"latency_ms":3}"#,
        #"{"decision":5,"command":"0","kind":"lookup","outcome":"ok","attempts":1,"latency_ms":3}"#,
        #"{"decision":5,"kind":"lookup","outcome":"ok","attempts":1,"latency_ms":3}"#,
        #"{"decision":5,"command":0,"kind":"lookup","outcome":"ok","attempts":1,"latency_ms":3,"status":"200"}"#,
        #"[1]"#, #"{"decision":5"#,
    ])
    func whatJSONDecoderRejectsIsRejected(text: String) {
        let bytes = Array(text.utf8)
        #expect(reference(bytes) == nil)
        #expect(throws: (any Error).self) { try EffectResult.decode(bytes) }
    }
}
