import Foundation
import JSONScan
import Testing

/// `JSONSequentialReader` reads the webhooks' compact forms on the replay's hot path: it must
/// read what is there and refuse whatever is not valid JSON of the expected shape.
@Suite struct JSONSequentialReaderTests {
    /// Reads `[int|null, string|null, bool, [int…], {key: any…}]` and returns what it read, or nil.
    private func read(_ text: String) -> String? {
        Array(text.utf8).withUnsafeBytes { bytes -> String? in
            var reader = JSONSequentialReader(bytes)
            guard reader.open(.array), let number = reader.optionalInt(), let string = reader.optionalString(), let flag = reader.bool(),
                  reader.open(.array) else { return nil }
            var numbers: [Int64] = []
            while reader.nextElement() {
                guard let value = reader.int64() else { return nil }
                numbers.append(value)
            }
            guard !reader.failed, reader.open(.object) else { return nil }
            var keys: [String] = []
            while let key = reader.nextKey() {
                keys.append(key)
                guard reader.skip() else { return nil }
            }
            guard !reader.failed, reader.close(.array), reader.finish() else { return nil }
            return "\(number.map(String.init) ?? "nil") \(string ?? "nil") \(flag) \(numbers) \(keys)"
        }
    }

    @Test func readsWhatIsThere() {
        #expect(read(#"[1,"a",true,[],{}]"#) == "1 a true [] []")
        #expect(read(#" [ null , null , false , [ -3 , 0 , 9223372036854775807 ] , { "k" : [1,{"x":null}] , "é\n" : "v" } ] "#)
                == "nil nil false [-3, 0, 9223372036854775807] [\"k\", \"é\\n\"]")
        #expect(read(#"[7,"say \"hi\"\u00e9",true,[1],{"a":1}]"#) == "7 say \"hi\"é true [1] [\"a\"]")
    }

    @Test func refusesWhatIsNotValidJSONOfThatShape() {
        let bad = [
            #"[1,"a",true,[],{}"#,              // unclosed
            #"[1,"a",true,[],{},]"#,            // trailing comma
            #"[1,"a",true,[1,],{}]"#,           // trailing comma inside
            #"[1 "a",true,[],{}]"#,             // missing comma
            #"[1,"a",true,[],{}]x"#,            // bytes after the value
            #"[1,"a",true,[],{}][]"#,           // two values
            #"[01,"a",true,[],{}]"#,            // leading zero
            #"[1.5,"a",true,[],{}]"#,           // not an integer
            #"[1e3,"a",true,[],{}]"#,           // not an integer
            #"[9223372036854775808,"a",true,[],{}]"#, // out of range
            #"[-,"a",true,[],{}]"#,             // no digits
            #"[1,"a\x",true,[],{}]"#,           // bad escape
            "[1,\"a\u{1}\",true,[],{}]",         // control character in a string
            #"[1,"a",tru,[],{}]"#,              // bad literal
            #"[1,"a",true,[],{"k" 1}]"#,        // missing colon
            #"[1,"a",true,[],{"k":1,}]"#,       // trailing comma in an object
            #"[1,"a",true,[],{"k":1 "j":2}]"#,  // missing comma in an object
            #"[1,"a",true,[],{"k":01}]"#,       // invalid skipped value
            #"[1,"a",true,[],[]]"#,             // array where an object is expected
            #"[1,"a",true,[],{}}"#,             // wrong close
            #"[1,"a",true,{},{}]"#,             // object where an array is expected
            #"[1,2,true,[],{}]"#,               // number where a string is expected
            #"["1","a",true,[],{}]"#,           // string where a number is expected
            #"[1,"a",null,[],{}]"#,             // null where a bool is expected
            "",
        ]
        for text in bad { #expect(read(text) == nil, "\(text)") }
        // Invalid UTF-8 in a string.
        let invalid: [UInt8] = Array(#"[1,""#.utf8) + [0xC3, 0x28] + Array(#"",true,[],{}]"#.utf8)
        #expect(invalid.withUnsafeBytes { bytes in
            var reader = JSONSequentialReader(bytes)
            return reader.open(.array) && reader.optionalInt() != nil && reader.optionalString() != nil
        } == false)
    }

    /// Whatever the reader reads to the end is valid JSON: every one-byte change of a valid
    /// document either still reads as valid JSON or is refused.
    @Test func whatReadsToTheEndIsValidJSON() {
        let document = Array(#"[12,"ab\"c",false,[3,-4],{"k":[true,null,{"z":"é"}],"n":-0.5e3}]"#.utf8)
        let replacements = Array(#"[]{},:"\ -+.0123456789eEtrufalsn"#.utf8) + [0x00, 0x1F, 0xC3, 0xFF]
        var readable = 0
        for index in document.indices {
            for byte in replacements where byte != document[index] {
                var mutated = document
                mutated[index] = byte
                let text = String(decoding: mutated, as: UTF8.self)
                let reads = mutated.withUnsafeBytes { bytes -> Bool in
                    var reader = JSONSequentialReader(bytes)
                    guard reader.open(.array), reader.optionalInt() != nil, reader.optionalString() != nil, reader.bool() != nil,
                          reader.skip(), reader.open(.object) else { return false }
                    while reader.nextKey() != nil { guard reader.skip() else { return false } }
                    return !reader.failed && reader.close(.array) && reader.finish()
                }
                if reads {
                    readable += 1
                    #expect(JSONScanner.isValid(mutated), "\(text)")
                }
            }
        }
        #expect(readable > 50, "some mutations stay valid (other digits, letters in strings)")
    }

    /// The check readers use to leave `\u` escapes to `JSONDecoder`: the same answer as
    /// searching the bytes with Foundation, for every range of each sample.
    @Test func aUnicodeEscapeIsFoundWhereverItsBytesAre() {
        for text in [#""plain""#, #""\u00e9""#, #""a\\u""#, #""\n\u""#, #""ends with \""#, #""u\""#, "", "\\", "\\u", "u\\"] {
            let bytes = Array(text.utf8)
            bytes.withUnsafeBytes { raw in
                for lower in 0...bytes.count {
                    for upper in lower...bytes.count {
                        let expected = UnsafeRawBufferPointer(rebasing: raw[lower..<upper]).firstRange(of: [UInt8(ascii: "\\"), UInt8(ascii: "u")]) != nil
                        #expect(JSONScanner.mayHoldUnicodeEscape(in: raw, at: lower..<upper) == expected, "\(text) \(lower)..<\(upper)")
                    }
                }
            }
        }
    }
}
