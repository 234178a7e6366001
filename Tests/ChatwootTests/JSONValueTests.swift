import Chatwoot
import Foundation
import Testing

struct JSONValueTests {
    private func decode(_ json: String) throws -> JSONValue {
        try JSONDecoder().decode(JSONValue.self, from: Data(json.utf8))
    }

    @Test func decodesEveryKindKeepingIntegersApartFromFractions() throws {
        let value = try decode(#"{"n":null,"b":true,"i":42,"d":1.5,"big":1e300,"s":"x","a":[1,"2"],"o":{"k":false}}"#)
        #expect(value["n"] == .null)
        #expect(value["b"] == .bool(true))
        #expect(value["i"] == .int(42))
        #expect(value["d"] == .double(1.5))
        #expect(value["big"] == .double(1e300))
        #expect(value["s"] == .string("x"))
        #expect(value["a"] == [1, "2"])
        #expect(value["o"]?["k"]?.boolValue == false)
        #expect(value["missing"] == nil)
    }

    @Test func accessorsReturnNilForOtherKinds() {
        let value: JSONValue = ["list": [1, 2.0, 2.5]]
        #expect(value["list"]?[0]?.intValue == 1)
        #expect(value["list"]?[1]?.intValue == 2)
        #expect(value["list"]?[2]?.intValue == nil)
        #expect(value["list"]?[3] == nil)
        #expect(value["list"]?.stringValue == nil)
        #expect(value[0] == nil)
        #expect(JSONValue.int(3).doubleValue == 3)
        #expect(JSONValue.bool(true).scalarText == "true")
        #expect(JSONValue.null.isNull)
    }

    @Test func roundTripsThroughJSON() throws {
        let value: JSONValue = ["a": [1, 2.25, "three", nil, true, ["b": []]], "c": [:]]
        let data = try JSONEncoder().encode(value)
        #expect(try JSONDecoder().decode(JSONValue.self, from: data) == value)
    }
}
