import Foundation
import Testing
@testable import NLU

/// A small bilingual support-triage set (English and Brazilian Portuguese), written for these tests.
let supportExamples: [TrainingExample] = {
    let data: [String: [String]] = [
        "greet": ["hi", "hello", "hey there", "good morning", "good afternoon", "hello, anyone there?",
                  "oi", "olá", "bom dia", "boa tarde", "oi, tudo bem?", "e aí"],
        "order_status": ["where is my order", "track my order", "my package has not arrived", "order status please",
                         "when will my order arrive", "I want to track order A-10023",
                         "onde está meu pedido", "rastrear meu pedido", "meu pacote não chegou", "status do pedido",
                         "quando chega meu pedido", "quero rastrear o pedido A-10023"],
        "human": ["I want to talk to a human agent", "let me speak to a person", "connect me to an agent",
                  "human please", "can I talk to someone real", "transfer me to support staff",
                  "quero falar com um atendente", "falar com um humano", "me transfere para um atendente",
                  "atendente por favor", "quero falar com uma pessoa", "preciso de um atendente humano"],
        "refund": ["I want a refund", "give me my money back", "how do I get a refund", "refund my purchase",
                   "I want to return this and get refunded", "cancel and refund my order",
                   "quero reembolso", "quero meu dinheiro de volta", "como faço para ser reembolsado",
                   "reembolsar minha compra", "quero devolver e ser reembolsado", "cancelar e reembolsar o pedido"],
    ]
    return data.keys.sorted().flatMap { intent in data[intent]!.map { TrainingExample(intent: intent, text: $0) } }
}()

@Suite struct IntentClassifierTests {
    @Test func foldingRemovesCaseAccentsAndPunctuation() {
        #expect(TextNormalizer.fold("Não, OLÁ!! Ação…  rápida?") == "nao ola acao rapida")
        #expect(TextNormalizer.fold("  Where's my ORDER #A-1234?!\n\tThanks ") == "where s my order a 1234 thanks")
    }

    /// Character n-grams read as byte slices for ASCII words must be the grams of characters.
    @Test func asciiCharacterGramsAreTheCharacterGrams() {
        func reference(_ word: String) -> [String] {
            let padded = Array(" " + word + " ")
            var grams: [String] = []
            for n in 3...5 where padded.count >= n {
                for start in 0...(padded.count - n) { grams.append("c:" + String(padded[start..<start + n])) }
            }
            return grams
        }
        for word in ["", "a", "ab", "abc", "order", "a1234567", "rastreio", "ß", "não", "日本語", "x1é"] {
            var grams: [String] = []
            FeatureExtractor.forEachCharacterGram(of: word) { grams.append($0) }
            #expect(grams == reference(word), "\(word)")
        }
    }

    /// The ASCII shortcut must fold exactly as the Unicode path does.
    @Test func asciiFoldingAgreesWithUnicodeFolding() {
        let every = String(decoding: (0..<128).map { UInt8($0) }, as: UTF8.self)
        var samples = [every, "", " ", "a", "A1 b2", "x  y", "!!", "ORDER-1234", every + every.uppercased()]
        var seed: UInt64 = 42
        for _ in 0..<2_000 {
            var bytes: [UInt8] = []
            for _ in 0..<Int(seed % 24) {
                seed = seed &* 6364136223846793005 &+ 1442695040888963407
                bytes.append(UInt8((seed >> 33) % 128))
            }
            samples.append(String(decoding: bytes, as: UTF8.self))
        }
        for text in samples {
            #expect(TextNormalizer.asciiFold(text) == TextNormalizer.unicodeFold(text), "\(Array(text.utf8))")
        }
        #expect(TextNormalizer.asciiFold("não") == nil)
        #expect(TextNormalizer.tokens("A-10023, ok") == ["a", "10023", "ok"])
    }

    /// `isBlank` must answer as trimming Foundation's whitespace set does, for every BMP scalar.
    @Test func blankTextAgreesWithFoundationTrimming() {
        for value in UInt32(0)..<0x1_0000 {
            guard let scalar = Unicode.Scalar(value) else { continue }
            for text in [String(scalar), " \(scalar)\t", "\(scalar)\(scalar)"] {
                #expect(TextNormalizer.isBlank(text) == text.trimmingCharacters(in: .whitespaces).isEmpty, "U+\(String(value, radix: 16))")
            }
        }
        #expect(TextNormalizer.isBlank("") && TextNormalizer.isBlank(" \t\u{3000}") && !TextNormalizer.isBlank(" a "))
    }

    /// The shortcut for text with nothing to trim must answer as Foundation's trimming does:
    /// every BMP scalar at either end, alone, beside ASCII, and doubled.
    @Test func trimmingAgreesWithFoundation() {
        var samples = ["", " ", "a", "ab", " a", "a ", "\ta\n", "order AB-1", "x\u{301}", "\u{301}x", "a\r\n", "\r\na"]
        for value in UInt32(0)..<0x1_0000 {
            guard let scalar = Unicode.Scalar(value) else { continue }
            samples += [String(scalar), "\(scalar)a", "a\(scalar)", "\(scalar)a\(scalar)"]
        }
        for text in samples {
            #expect(TextNormalizer.trimmed(text) == text.trimmingCharacters(in: .whitespacesAndNewlines), "\(Array(text.unicodeScalars))")
        }
    }

    /// The byte search for hand-off phrases must answer as Foundation's `contains`, on folded
    /// text and phrases, ASCII or not.
    @Test func phraseSearchAgreesWithFoundation() {
        let words = ["human", "agent", "talk", "to", "a", "an", "ag", "humano", "atendente", "não", "nao", "日本", "x1", "e\u{301}", "é", ""]
        var seed: UInt64 = 7
        func pick() -> String {
            seed = seed &* 6364136223846793005 &+ 1442695040888963407
            return words[Int((seed >> 33) % UInt64(words.count))]
        }
        for _ in 0..<3_000 {
            let text = TextNormalizer.fold((0..<Int(seed % 7)).map { _ in pick() }.joined(separator: " "))
            let phrase = TextNormalizer.fold((0..<(1 + Int(seed % 3))).map { _ in pick() }.joined(separator: " "))
            #expect(TextNormalizer.contains(text, phrase: phrase) == text.contains(phrase), "\(text) / \(phrase)")
        }
        // Raw text too: punctuation, capitals, CR LF, other control characters, non-ASCII.
        let pieces = ["a", "B", "!", "?", "!!", " ", "\r", "\n", "\r\n", "\t", "\u{7F}", "é", "e\u{301}", "😀", "x"]
        for _ in 0..<3_000 {
            seed = seed &* 6364136223846793005 &+ 1442695040888963407
            let text = (0..<Int(seed % 9)).map { index in pieces[Int((seed >> (index * 4 + 8)) % UInt64(pieces.count))] }.joined()
            let phrase = (0..<(1 + Int(seed % 3))).map { index in pieces[Int((seed >> (index * 5 + 40)) % UInt64(pieces.count))] }.joined()
            #expect(TextNormalizer.contains(text, phrase: phrase) == text.contains(phrase), "\(Array(text.unicodeScalars)) / \(Array(phrase.unicodeScalars))")
        }
        #expect(TextNormalizer.contains("i want to talk to a human agent", phrase: "human agent"))
        #expect(!TextNormalizer.contains("human", phrase: "human agent"))
    }

    @Test(arguments: [
        ("Where is my parcel? order A-777", "order_status"),
        ("cadê meu pedido??", "order_status"),
        ("FALAR COM ATENDENTE", "human"),
        ("I would like to speak with a human", "human"),
        ("Olá!", "greet"),
        ("money back please", "refund"),
        ("quero o reembolso", "refund"),
    ])
    func unseenPhrasingsInBothLanguagesAreRecognised(text: String, intent: String) {
        let model = IntentClassifier(examples: supportExamples)
        let ranking = model.rank(text)
        #expect(ranking.first?.intent == intent, "\(text): \(ranking.prefix(2))")
    }

    @Test func confidencesAreProbabilitiesAndTheThresholdGivesAFallback() {
        let model = IntentClassifier(examples: supportExamples)
        let ranking = model.rank("track my order please")
        #expect(abs(ranking.map(\.confidence).reduce(0, +) - 1) < 1e-9)
        #expect(ranking == ranking.sorted { $0.confidence > $1.confidence })
        let clear = model.rank("where is my order")[0].confidence
        let vague = model.rank("xyzzy qwerty")[0].confidence
        #expect(clear > vague, "a clear request is more confident than gibberish")
        #expect(model.classify("xyzzy qwerty", threshold: clear) == nil)
        #expect(model.classify("where is my order", threshold: vague)?.intent == "order_status")
    }

    @Test func trainingAndScoringAreDeterministic() {
        let a = IntentClassifier(examples: supportExamples).rank("quero falar com alguém")
        let b = IntentClassifier(examples: supportExamples.reversed()).rank("quero falar com alguém")
        #expect(a == b, "the order of the examples does not change the model")
    }

    @Test func crossValidationReportsPerIntentQuality() {
        let report = CrossValidation.run(supportExamples, folds: 4)
        #expect(report.examples == supportExamples.count && report.folds == 4)
        #expect(report.intents.map(\.intent) == ["greet", "human", "order_status", "refund"])
        #expect(report.intents.allSatisfy { $0.support == 12 })
        #expect(report.accuracy >= 0.8, "accuracy \(report.accuracy); confusions \(report.confusions)")
        #expect(report.accuracy == CrossValidation.run(supportExamples, folds: 4).accuracy, "reruns agree")
        let withThreshold = CrossValidation.run(supportExamples, folds: 4, threshold: 0.99)
        #expect(withThreshold.confusions.contains { $0.predicted == CrossValidation.fallback })
    }

    /// Examples that fold to the same text ("olá", "ola") share a fold: with each twin in
    /// another fold, a model was scored on a text it had been trained on. Here every word is
    /// meaningless, so nothing can be learnt beyond the twins: accuracy must be near chance.
    @Test func twinsThatFoldAlikeShareAFold() {
        var state: UInt64 = 11
        let letters = Array("bcdfghjklmnpqrstvwxz")
        func word() -> String {
            String((0..<7).map { _ in
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                return letters[Int(state >> 33) % letters.count]
            })
        }
        var examples: [TrainingExample] = []
        for index in 0..<30 {
            let text = word()
            let intent = index % 2 == 0 ? "one" : "two"
            examples.append(TrainingExample(intent: intent, text: text))
            examples.append(TrainingExample(intent: intent, text: text.uppercased() + "!"))
        }
        let folds = CrossValidation.folds(of: examples, k: 5)
        for index in stride(from: 0, to: examples.count, by: 2) { #expect(folds[index] == folds[index + 1]) }
        let report = CrossValidation.run(examples, folds: 5)
        #expect(report.accuracy < 0.8, "accuracy \(report.accuracy): the twins leaked between training and testing")
    }

    /// Hand-off phrases match whole words of the folded message, wherever they are in it.
    @Test func phrasesMatchWholeWords() {
        let cases: [(String, String, Bool)] = [
            ("talk to a personal shopper", "talk to a person", false), ("i want to talk to a person", "talk to a person", true),
            ("talk to a person now", "talk to a person", true), ("talk to a person", "talk to a person", true),
            ("quero falar com um atendente", "falar com um atendente", true), ("atendentes", "atendente", false),
            ("a human", "human", true), ("inhuman", "human", false), ("human", "", false), ("", "human", false),
            ("humano humano human", "human", true),
        ]
        for (text, phrase, expected) in cases {
            #expect(TextNormalizer.containsWords(TextNormalizer.fold(text), phrase: TextNormalizer.fold(phrase)) == expected, "\(text) / \(phrase)")
        }
    }

    /// A text with no known word is no intent, even at threshold 0 (every intent scores 0, and
    /// the alphabetically first one used to win).
    @Test func aTextWithNoKnownWordIsNoIntentEvenAtThresholdZero() {
        let classifier = IntentClassifier(examples: supportExamples)
        #expect(classifier.rank("🙂").allSatisfy { $0.confidence == 0 })
        #expect(classifier.classify("🙂", threshold: 0) == nil)
        #expect(classifier.classify("xq zzv plonk", threshold: 0) == nil)
        #expect(classifier.classify("where is my order", threshold: 0)?.intent == "order_status")
    }

    @Test func degenerateTrainingSetsDoNotCrash() {
        #expect(IntentClassifier(examples: []).rank("hi").isEmpty)
        let single = IntentClassifier(examples: [TrainingExample(intent: "greet", text: "hi")])
        #expect(single.rank("hello").first?.intent == "greet")
        #expect(single.rank("").first?.confidence == 0, "no known word: no confidence")
        #expect(single.rank("hi").first?.confidence == 1)
    }

    @Test func unknownWordsGetLowConfidenceKnownOnesKeepIt() {
        let model = IntentClassifier(examples: supportExamples)
        let known = model.rank("where is my order").first!
        let gibberish = model.rank("xq zzv plonk").first!
        #expect(known.confidence > 0.5)
        #expect(gibberish.confidence < 0.3)
        // A typo of a known word still counts as known.
        #expect(model.rank("wehre is my ordr").first!.intent == known.intent)
    }
}
