import Chatwoot
import Foundation
import JSONScan
import Testing

/// `JSONValue(validated:at:)` is the hot-path reader; `JSONDecoder` is the reference it must match.
struct JSONValueScanningTests {
    private func scanned(_ bytes: [UInt8]) throws -> JSONValue? {
        try bytes.withUnsafeBytes { raw in
            try JSONScanner.validate(raw)
            var start = 0
            var end = raw.count
            while start < end, [0x20, 0x09, 0x0A, 0x0D].contains(raw[start]) { start += 1 }
            while end > start, [0x20, 0x09, 0x0A, 0x0D].contains(raw[end - 1]) { end -= 1 }
            return JSONValue(validated: raw, at: start..<end)
        }
    }

    private func decoded(_ bytes: [UInt8]) -> JSONValue? { try? JSONDecoder().decode(JSONValue.self, from: Data(bytes)) }

    @Test(arguments: [
        "1", "1.0", "1e2", "1E+2", "1.5", "-0", "-0.0", "0.1", "2.5e-3", "1.00000000000000000001", "12345678901234567890",
        "9223372036854775807", "-9223372036854775808", "9223372036854775808", "1e18", "1e19", "-1e300", "4.9e-324",
        "true", "false", "null", "\"\"", "\"plain\"", "\"é ü 😀\"", #""q\"\\/\n\t""#, "[]", "{}", "[1,[2,[3,{}]]]",
        #"{"a":1,"a":2}"#, #"{"k":{"n":[null,true,1.25,"x"]},"z":-7}"#, " [ 1 , \"2\" ] ",
    ])
    func matchesJSONDecoder(text: String) throws {
        let bytes = Array(text.utf8)
        let fast = try #require(try scanned(bytes), "read without falling back")
        #expect(fast == decoded(bytes))
    }

    @Test(arguments: [#""\u00e9""#, #""\ud800""#, "1e400", "-1e400"])
    func leavesToJSONDecoderWhatItIsNotSureOf(text: String) throws {
        #expect(try scanned(Array(text.utf8)) == nil)
    }

    @Test func readsEveryFixtureAsJSONDecoderDoes() throws {
        var compared = 0
        for name in Fixtures.webhookNames + ["api-message-create-response", "api-toggle-status-response"] {
            let bytes = [UInt8](try Fixtures.data(name))
            guard let fast = try scanned(bytes) else { continue } // a \u escape: decoded the usual way
            #expect(fast == decoded(bytes), "\(name)")
            compared += 1
        }
        #expect(compared >= 5)
    }
}
