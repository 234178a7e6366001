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

    @Test func anInvalidPatternIsReportedWithItsEntity() {
        #expect { _ = try EntityExtractor(patterns: [.init(entity: "broken", pattern: "([a-z")]) } throws: {
            "\($0)".contains("broken")
        }
    }
}
