import Testing
@testable import NLU

@Suite struct EntityExtractorTests {
    private func extractor() throws -> EntityExtractor {
        try EntityExtractor(
            patterns: [.init(entity: "order_number", pattern: #"\b[A-Z]-\d{4,6}\b"#),
                       .init(entity: "email", pattern: #"[\w.+-]+@[\w-]+\.[\w.]+"#)],
            lookupTables: ["city": ["São Paulo", "Rio de Janeiro", "Lisbon"]],
            synonyms: ["São Paulo": ["sampa", "sp"], "express": ["expresso", "rápido"]]
        )
    }

    @Test func regexesLookupsAndSynonymsAreFoundInOrder() throws {
        let entities = try extractor().extract("Pedido a-10023 para sampa, e-mail jane@example.com, entrega em Sao Paulo")
        #expect(entities.map(\.entity) == ["order_number", "email", "city"])
        #expect(entities[0].value == "a-10023")
        #expect(entities[1].value == "jane@example.com")
        #expect(entities[2].value == "São Paulo" && entities[2].extractor == "lookup")
        let synonym = try extractor().extract("ship to SP")
        #expect(synonym.isEmpty, "a synonym alone is not a lookup value")
        let viaRegexSynonym = try EntityExtractor(patterns: [.init(entity: "speed", pattern: "expresso|rápido")],
                                                  synonyms: ["express": ["expresso", "rápido"]]).extract("quero rápido")
        #expect(viaRegexSynonym.map(\.value) == ["express"])
    }

    @Test func lookupsMatchWholeFoldedWordsOnly() throws {
        #expect(try extractor().extract("I live in LISBON.").map(\.value) == ["Lisbon"])
        #expect(try extractor().extract("Lisbonne is not Lisbon").map(\.text) == ["lisbon"])
        #expect(try extractor().extract("rio de janeiro!").map(\.value) == ["Rio de Janeiro"])
    }

    /// Of values starting at the same word, the longest is the one named ("deluxe suite", not
    /// "deluxe" inside it), whatever the table's order.
    @Test func theLongestLookupValueStartingAtAWordWins() throws {
        for table in [["deluxe", "deluxe suite", "suite"], ["suite", "deluxe suite", "deluxe"]] {
            let extractor = try EntityExtractor(lookupTables: ["room": table])
            #expect(extractor.extract("the deluxe suite please").map(\.value) == ["deluxe suite", "suite"], "\(table)")
            #expect(extractor.extract("a deluxe room, or a suite").map(\.value) == ["deluxe", "suite"])
        }
    }

    /// A large table against a long message is matched word by word (the values starting at each
    /// word, a trie of the table's words), not value by value. Measured, not asserted (no timing
    /// in tests), in a debug build: 5,000 cities against 20,000 words took 4.98 s with the table
    /// scanned, 3.4 ms by first word; 20,000 times "city" (every value's first word) is one short walk each.
    @Test func aLargeTableAgainstALongMessageFindsItsValue() throws {
        let cities = (0..<5_000).map { "City \($0)" } + ["São Paulo"]
        let extractor = try EntityExtractor(lookupTables: ["city": cities])
        let text = String(repeating: "a ", count: 20_000) + "city 4999 or sao paulo"
        #expect(extractor.extract(text).map(\.value) == ["City 4999", "São Paulo"])
        // Every word the first word of 5,000 values: still one short walk from each.
        #expect(extractor.extract(String(repeating: "city ", count: 20_000) + "city 7").map(\.value) == ["City 7"])
    }

    /// Lookup values and regular-expression matches come in the order the message names them:
    /// "AB 10001" (an annotated value, found by the lookup) before "CD-55555" (the regex).
    @Test func lookupValuesAndRegexMatchesComeInMessageOrder() throws {
        let extractor = try EntityExtractor(patterns: [.init(entity: "order", pattern: #"\b[A-Z]{2}-\d{5}\b"#)],
                                            lookupTables: ["order": ["AB-10001"], "city": ["São Paulo"]])
        #expect(extractor.extract("AB 10001 or CD-55555").map(\.value) == ["AB-10001", "CD-55555"])
        #expect(extractor.extract("CD-55555 or AB 10001").map(\.value) == ["CD-55555", "AB-10001"])
        #expect(extractor.extract("Ação em São Paulo, pedido CD-55555").map(\.value) == ["São Paulo", "CD-55555"])
        #expect(extractor.extract("🙂 são paulo 👍 CD-55555").map(\.value) == ["São Paulo", "CD-55555"])
        // Characters that split words as folding splits them (a zero-width non-joiner, an
        // enclosing mark) or join them (a combining accent) keep the places right.
        #expect(extractor.extract("AB 10001 or CD-55555 a\u{200C}b x\u{20E3}y").map(\.value) == ["AB-10001", "CD-55555"])
        #expect(extractor.extract("e\u{301}te\u{301} CD-55555 , \u{345} y AB 10001").map(\.value) == ["CD-55555", "AB-10001"])
        for text in ["a\u{200C}b c", "x\u{20E3}y", ", \u{345} y a\u{200C}b", "İstanbul ß ǅ ﬁ", "São Paulo", "🙂 1️⃣ 2"] {
            let offsets = try #require(TextNormalizer.wordOffsets(text, wordCount: TextNormalizer.tokens(text).count), "\(text)")
            #expect(offsets.count == TextNormalizer.tokens(text).count)
        }
    }

    @Test func anInvalidPatternIsReportedWithItsEntity() {
        #expect { _ = try EntityExtractor(patterns: [.init(entity: "broken", pattern: "([a-z")]) } throws: {
            "\($0)".contains("broken")
        }
    }
}
