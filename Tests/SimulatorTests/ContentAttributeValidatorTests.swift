import Chatwoot
import Foundation
import Testing

@testable import Simulator

/// Chatwoot's `ContentAttributeValidator` rules, without HTTP (docs/chatwoot-protocol.md §6).
struct ContentAttributeValidatorTests {
    private func errors(_ body: String) -> [String] {
        let json = try? JSONDecoder().decode(JSONValue.self, from: Data(body.utf8))
        let type = ContentType(rawValue: json?["content_type"]?.stringValue ?? "text")
        return ContentAttributeValidator.errors(contentType: type, items: ItemShape.items(inBody: Data(body.utf8)))
    }

    @Test func validItemsPass() {
        #expect(errors(#"{"content_type":"input_select","content_attributes":{"items":[{"title":"A","value":"a"}]}}"#).isEmpty)
        #expect(
            errors(
                #"{"content_type":"form","content_attributes":{"items":[{"name":"n","label":"L","type":"select","options":[{"label":"x","value":"y"}],"default":"y","required":true,"pattern":"p","title":"t","pattern_error":"e","placeholder":"p"}]}}"#
            ).isEmpty
        )
        #expect(
            errors(
                #"{"content_type":"cards","content_attributes":{"items":[{"title":"T","description":"D","media_url":"m","actions":[{"type":"postback","text":"t","payload":"p"},{"type":"link","text":"t","uri":"u"}]}]}}"#
            ).isEmpty
        )
        #expect(errors(#"{"content_type":"text","content_attributes":{"anything":1}}"#).isEmpty)
        #expect(errors(#"{"content_type":"input_email"}"#).isEmpty)
    }

    @Test func invalidKeysAreListedInRequestOrderWithDuplicates() {
        #expect(
            errors(#"{"content_type":"article","content_attributes":{"items":[{"zeta":1,"title":"T","alpha":2},{"zeta":3,"link":"l"}]}}"#)
                == ["Content attributes contains invalid keys for items : [:zeta, :alpha, :zeta]"]
        )
    }

    @Test func rubySymbolInspection() {
        #expect(ContentAttributeValidator.rubyInspect(["title", "media-url", "2x", "a\"b"]) == #"[:title, :"media-url", :"2x", :"a\"b"]"#)
    }

    @Test func emptyItemsAndInvalidKeysAreBothReported() {
        #expect(errors(#"{"content_type":"cards","content_attributes":{"items":[]}}"#) == [
            "Content attributes At least one item is required."
        ])
    }
}
