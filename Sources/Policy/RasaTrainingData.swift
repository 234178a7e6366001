import NLU
import Yams

/// Training data in Rasa's `nlu.yml` format (the list under `nlu:`): intents with examples
/// (entity annotations `[text](entity)`, `[text](entity:value)` or `[text]{"entity": …, "value": …}`),
/// `regex`, `lookup` and `synonym` items.
///
/// The built-in NLU extracts entities with regexes and lookup tables, so annotated values are
/// added to their entity's lookup table (and a `:value` annotation becomes a synonym).
struct RasaTrainingData {
    var examples: [TrainingExample] = []
    var patterns: [EntityExtractor.Pattern] = []
    var lookupTables: [String: [String]] = [:]
    var synonyms: [String: [String]] = [:]
    /// Where each intent's examples start (for error messages).
    var intentLines: [String: Int] = [:]

    static func read(_ node: Node, reader: YAMLReader) -> RasaTrainingData {
        var data = RasaTrainingData()
        for item in reader.sequence(node, "nlu training data") ?? [] {
            guard let fields = reader.fields(item, "an nlu item", allowed: ["intent", "regex", "lookup", "synonym", "examples", "metadata"]) else { continue }
            guard let examplesNode = fields["examples"] else {
                reader.fail(item, "an nlu item needs examples")
                continue
            }
            let lines = exampleLines(reader.string(examplesNode, "examples") ?? "")
            if lines.isEmpty { reader.fail(examplesNode, "examples must be a block of '- example' lines") }
            if let name = fields["intent"].flatMap({ reader.string($0, "intent") }) {
                data.intentLines[name] = data.intentLines[name] ?? item.line
                for line in lines {
                    let (text, entities) = stripAnnotations(line)
                    data.examples.append(TrainingExample(intent: name, text: text))
                    for (entity, value, literal) in entities {
                        data.lookupTables[entity, default: []].append(literal)
                        if value != literal { data.synonyms[value, default: []].append(literal) }
                    }
                }
            } else if let name = fields["regex"].flatMap({ reader.string($0, "regex") }) {
                data.patterns += lines.map { EntityExtractor.Pattern(entity: name, pattern: $0) }
            } else if let name = fields["lookup"].flatMap({ reader.string($0, "lookup") }) {
                data.lookupTables[name, default: []] += lines
            } else if let name = fields["synonym"].flatMap({ reader.string($0, "synonym") }) {
                data.synonyms[name, default: []] += lines
            } else {
                reader.fail(item, "an nlu item needs one of: intent, regex, lookup, synonym")
            }
        }
        for (entity, values) in data.lookupTables { data.lookupTables[entity] = Array(Set(values)).sorted() }
        return data
    }

    /// `- hello` lines of an examples block.
    static func exampleLines(_ block: String) -> [String] {
        block.split(separator: "\n").compactMap { line in
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            guard trimmed.hasPrefix("- ") || trimmed == "-" else { return nil }
            let text = trimmed.dropFirst(1).trimmingCharacters(in: .whitespaces)
            return text.isEmpty ? nil : text
        }
    }

    /// The plain text of an annotated example and its (entity, value, literal text) annotations.
    static func stripAnnotations(_ example: String) -> (String, [(String, String, String)]) {
        var text = ""
        var entities: [(String, String, String)] = []
        var index = example.startIndex
        while index < example.endIndex {
            let character = example[index]
            if character == "[", let close = example[index...].firstIndex(of: "]"), example.index(after: close) < example.endIndex {
                let literal = String(example[example.index(after: index)..<close])
                let after = example.index(after: close)
                let opener = example[after]
                let closer: Character? = opener == "(" ? ")" : opener == "{" ? "}" : nil
                if let closer, let end = example[after...].firstIndex(of: closer) {
                    let inner = String(example[example.index(after: after)..<end])
                    if opener == "(" {
                        // `[text]()` or `[text](:x)` names no entity: the text alone is kept.
                        let parts = inner.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
                        let name = parts[0].trimmingCharacters(in: .whitespaces)
                        let value = parts.count > 1 && !parts[1].isEmpty ? parts[1] : literal
                        if !name.isEmpty { entities.append((name, value, literal)) }
                    } else if let entity = jsonMember(inner, "entity") {
                        entities.append((entity, jsonMember(inner, "value") ?? literal, literal))
                    }
                    text += literal
                    index = example.index(after: end)
                    continue
                }
            }
            text.append(character)
            index = example.index(after: index)
        }
        return (text, entities)
    }

    /// `"key": "value"` inside an annotation's JSON (no nesting is allowed there).
    private static func jsonMember(_ json: String, _ key: String) -> String? {
        guard let keyRange = json.range(of: "\"\(key)\"") else { return nil }
        let rest = json[keyRange.upperBound...].drop { $0 == " " || $0 == ":" }
        guard rest.first == "\"" else { return nil }
        let value = rest.dropFirst().prefix { $0 != "\"" }
        return String(value)
    }
}
