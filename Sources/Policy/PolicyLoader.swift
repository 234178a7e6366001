import HTTPSupport
import Chatwoot
import Crypto
import Foundation
import Mustache
import NLU
import Yams

/// Reads and checks a policy file. Every problem is reported with its line (``PolicyError``);
/// a policy that loads has no dangling reference: every intent, slot, lookup and template it
/// names exists and parses.
public enum PolicyLoader {
    /// Engines the `nlu.engine` key accepts.
    public static let engines = ["builtin", "rasa", "dialogflow_es", "dialogflow_cx", "lex_v2"]

    /// Loads `path`; a `training_file` is read relative to it.
    /// - Throws: ``PolicyError`` with every problem found.
    public static func load(path: String) throws(PolicyError) -> Policy {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw PolicyError(issues: [PolicyIssue(file: path, line: 0, column: 0, message: "cannot read the policy file (does it exist?)")])
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw PolicyError(issues: [PolicyIssue(file: path, line: 0, column: 0, message: "the policy file is not UTF-8 text")])
        }
        let directory = (path as NSString).deletingLastPathComponent
        return try load(yaml: text, file: path) { name in
            let full = name.hasPrefix("/") ? name : (directory.isEmpty ? name : directory + "/" + name)
            guard let data = FileManager.default.contents(atPath: full), let text = String(data: data, encoding: .utf8) else { return nil }
            return (full, text)
        }
    }

    /// Loads a policy from the texts recorded with it (``Policy/source`` and ``Policy/includes``),
    /// e.g. from a `policy.activated` event: the same bot version, without its files.
    public static func load(recorded source: String, includes: [String: String], file: String) throws(PolicyError) -> Policy {
        try load(yaml: source, file: file) { name in includes[name].map { (name, $0) } }
    }

    /// Loads a policy from its text. `include` reads a `training_file` (nil: not found).
    public static func load(yaml: String, file: String = "policy.yml",
                            include: @escaping (String) -> (path: String, text: String)? = { _ in nil }) throws(PolicyError) -> Policy {
        let reader = YAMLReader(file: file)
        let root: Node
        do {
            guard let node = try Yams.compose(yaml: yaml) else {
                throw PolicyError(issues: [PolicyIssue(file: file, line: 1, column: 1, message: "the policy file is empty")])
            }
            root = node
        } catch let error as PolicyError {
            throw error
        } catch let error as YamlError {
            throw PolicyError(issues: [issue(from: error, file: file)])
        } catch {
            throw PolicyError(issues: [PolicyIssue(file: file, line: 0, column: 0, message: "\(error)")])
        }
        var parser = PolicyParser(reader: reader, include: include)
        let policy = parser.parse(root, source: yaml)
        if var policy, reader.issues.isEmpty && parser.includedIssues.isEmpty {
            policy.includes = parser.includedTexts
            return policy
        }
        throw PolicyError(issues: reader.issues + parser.includedIssues)
    }

    static func issue(from error: YamlError, file: String) -> PolicyIssue {
        switch error {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _), .composer(_, let problem, let mark, _):
            return PolicyIssue(file: file, line: mark.line, column: mark.column, message: "YAML: \(problem)")
        case .duplicatedKeysInMapping(let duplicates, let context):
            return PolicyIssue(file: file, line: context.mark.line, column: context.mark.column,
                               message: "YAML: a key appears twice in the same mapping: \(duplicates.joined(separator: ", "))")
        default:
            return PolicyIssue(file: file, line: 0, column: 0, message: "YAML: \(error)")
        }
    }

    static func sha256(_ text: String) -> String {
        SHA256.hash(data: Array(text.utf8)).map { String($0, radix: 16).zeroPadded(to: 2) }.joined()
    }
}

/// One pass over the YAML tree; cross references are checked at the end.
struct PolicyParser {
    let reader: YAMLReader
    let include: (String) -> (path: String, text: String)?
    var includedIssues: [PolicyIssue] = []
    /// The text of every file read through `include`, by the name the policy used.
    var includedTexts: [String: String] = [:]
    /// (name, node) pairs to check once everything is declared.
    private var intentReferences: [(String, Node?)] = []
    private var slotReferences: [(String, Node?)] = []
    private var lookupReferences: [(String, Node?)] = []
    private var templateNodes: [(Template, Node?)] = []

    init(reader: YAMLReader, include: @escaping (String) -> (path: String, text: String)?) {
        self.reader = reader
        self.include = include
    }

    static let topLevel = ["name", "version", "language", "description", "nlu", "greeting", "fallback", "intents", "slots",
                           "lookups", "authentication", "handoff", "business_hours", "monitoring", "monitor_notes_per_hour", "csat"]

    mutating func parse(_ root: Node, source: String) -> Policy? {
        guard let top = reader.fields(root, "the policy", allowed: Self.topLevel) else { return nil }
        let name = require(top, "name").flatMap { reader.string($0, "name") } ?? "unnamed"
        let version = require(top, "version").flatMap { reader.string($0, "version") } ?? "0"
        let language = top["language"].flatMap { reader.string($0, "language") } ?? "en"

        let nlu = parseNLU(top["nlu"], node: root)
        let slots = parseSlots(top["slots"])
        let lookups = parseLookups(top["lookups"])
        let intents = parseIntents(top["intents"])
        let handoff = parseHandoff(top["handoff"])
        let authentication = top["authentication"].flatMap { parseAuthentication($0) }
        let hours = top["business_hours"].flatMap { parseBusinessHours($0) }
        let monitoring = parseMonitoring(top["monitoring"])
        let notesPerHour = top["monitor_notes_per_hour"].flatMap { reader.int($0, "monitor_notes_per_hour", range: 1...1000) } ?? 6
        let greeting = top["greeting"].flatMap { reply($0, "greeting") }
        let fallback = require(top, "fallback").flatMap { reply($0, "fallback") } ?? Reply(line: 0, text: nil, rich: nil)
        var csatReply: Reply?
        if let csat = reader.fields(top["csat"], "csat", allowed: ["reply"]) { csatReply = csat["reply"].flatMap { reply($0, "csat.reply") } }

        checkReferences(intents: intents, nlu: nlu, slots: slots, lookups: lookups, nluNode: top["nlu"])
        // Without the section the reactor has nothing to check with: the intent would answer anyone.
        if authentication == nil, top["authentication"] == nil {
            for rule in intents.values.sorted(by: { $0.line < $1.line }) where rule.requiresAuthentication {
                reader.fail(line: rule.line, "intents.\(rule.name) has auth: true but the policy has no authentication section")
            }
        }
        guard let nlu else { return nil }
        return Policy(name: name, version: version, language: language, contentHash: PolicyLoader.sha256(source), source: source,
                      nlu: nlu, greeting: greeting, fallback: fallback, intents: intents, slots: slots, lookups: lookups,
                      authentication: authentication, handoff: handoff, businessHours: hours, monitoring: monitoring,
                      monitorNotesPerHour: notesPerHour, csatReply: csatReply)
    }

    private func require(_ fields: Fields, _ key: String) -> Node? {
        if let node = fields[key] { return node }
        reader.fail(fields.node, "missing required key '\(key)'")
        return nil
    }

    // MARK: NLU

    private mutating func parseNLU(_ node: Node?, node root: Node) -> NLUSettings? {
        guard let node else {
            reader.fail(root, "missing required key 'nlu' (engine, threshold and training data)")
            return nil
        }
        guard let fields = reader.fields(node, "nlu", allowed: ["engine", "threshold", "training", "training_file", "rasa", "dialogflow", "lex", "on_error", "use_service_reply"]) else { return nil }
        let engine = fields["engine"].flatMap { reader.string($0, "nlu.engine") } ?? "builtin"
        if !PolicyLoader.engines.contains(engine) {
            reader.fail(fields["engine"], "nlu.engine '\(engine)' is not one of: \(PolicyLoader.engines.joined(separator: ", "))")
        }
        let threshold = fields["threshold"].flatMap { reader.double($0, "nlu.threshold", range: 0...1) } ?? 0.5
        var data = RasaTrainingData()
        if let training = fields["training"] {
            data = RasaTrainingData.read(training, reader: reader)
        }
        if let fileNode = fields["training_file"], let file = reader.string(fileNode, "nlu.training_file") {
            if let (path, text) = include(file) {
                includedTexts[file] = text
                let included = YAMLReader(file: path)
                do {
                    if let document = try Yams.compose(yaml: text),
                       let nlu = included.fields(document, "an nlu.yml file", allowed: ["version", "nlu"]) {
                        if let list = nlu["nlu"] {
                            let more = RasaTrainingData.read(list, reader: included)
                            data.examples += more.examples
                            data.patterns += more.patterns
                            data.lookupTables.merge(more.lookupTables) { $0 + $1 }
                            data.synonyms.merge(more.synonyms) { $0 + $1 }
                            data.intentLines.merge(more.intentLines) { old, _ in old }
                        } else {
                            included.fail(document, "an nlu.yml file needs an 'nlu:' list")
                        }
                    }
                } catch let error as YamlError {
                    includedIssues.append(PolicyLoader.issue(from: error, file: path))
                } catch {
                    includedIssues.append(PolicyIssue(file: path, line: 0, column: 0, message: "\(error)"))
                }
                includedIssues += included.issues
            } else {
                reader.fail(fileNode, "nlu.training_file '\(file)' cannot be read")
            }
        }
        if engine == "builtin" && data.examples.isEmpty {
            reader.fail(node, "the builtin NLU needs training examples (nlu.training or nlu.training_file)")
        }
        let intentsInData = Array(Set(data.examples.map(\.intent))).sorted()
        if engine == "builtin" && intentsInData.count == 1 {
            reader.fail(node, "the builtin NLU needs examples of at least two intents")
        }
        let entities: EntityExtractor
        do {
            entities = try EntityExtractor(patterns: data.patterns, lookupTables: data.lookupTables, synonyms: data.synonyms)
        } catch let error as EntityExtractor.InvalidPattern {
            reader.fail(fields["training"] ?? fields["training_file"], "\(error)")
            return nil
        } catch {
            reader.fail(node, "\(error)")
            return nil
        }
        let classifier = intentsInData.count >= 2 ? IntentClassifier(examples: data.examples) : nil
        var external: ExternalNLUSettings?
        if engine != "builtin" {
            external = parseExternal(engine, fields, node: node, hasClassifier: classifier != nil)
        }
        return NLUSettings(engine: engine, threshold: threshold, examples: data.examples, classifier: classifier,
                           entities: entities, intents: intentsInData, external: external)
    }

    /// `nlu.rasa` / `nlu.dialogflow` / `nlu.lex`: the service's address and names; secrets as `${VAR}`.
    private func parseExternal(_ engine: String, _ fields: Fields, node: Node, hasClassifier: Bool) -> ExternalNLUSettings? {
        let (key, allowed, required): (String, [String], [String]) = switch engine {
        case "rasa": ("rasa", ["url", "token", "timeout"], ["url"])
        case "dialogflow_es": ("dialogflow", ["project", "language", "token", "token_file", "location", "environment", "base_url", "timeout"], ["project", "language"])
        case "dialogflow_cx": ("dialogflow", ["project", "location", "agent", "language", "token", "token_file", "environment", "base_url", "timeout"], ["project", "agent", "language"])
        default: ("lex", ["bot", "alias", "locale", "region", "endpoint", "credentials_file", "profile", "timeout"], ["bot", "alias", "locale", "region"])
        }
        guard let section = reader.fields(fields[key], "nlu.\(key)", allowed: allowed) else {
            reader.fail(node, "nlu.engine \(engine) needs its settings under nlu.\(key) (\(required.joined(separator: ", ")))")
            return nil
        }
        var settings: [String: String] = [:]
        for (name, _, value) in section.pairs { settings[name] = reader.string(value, "nlu.\(key).\(name)") }
        for name in required where settings[name] == nil { reader.fail(section.node, "nlu.\(key) needs '\(name)'") }
        if engine.hasPrefix("dialogflow"), settings["token"] == nil && settings["token_file"] == nil {
            reader.fail(section.node, "nlu.dialogflow needs token (e.g. \"${DIALOGFLOW_TOKEN}\") or token_file")
        }
        if let token = settings["token"], !token.contains("${") {
            reader.fail(section["token"], "nlu.\(key).token: put the secret in the environment and write ${VARIABLE} here (policies are recorded in the ledger)")
        }
        if let timeout = section["timeout"] { settings["timeout"] = reader.milliseconds(timeout, "nlu.\(key).timeout").map(String.init) }
        let onErrorText = fields["on_error"].flatMap { reader.string($0, "nlu.on_error") } ?? (hasClassifier ? "builtin" : "fallback")
        guard let onError = ExternalNLUSettings.OnError(rawValue: onErrorText) else {
            reader.fail(fields["on_error"], "nlu.on_error must be builtin, fallback or handoff")
            return nil
        }
        if onError == .builtin && !hasClassifier { reader.fail(fields["on_error"], "nlu.on_error: builtin needs training examples of at least two intents") }
        return ExternalNLUSettings(settings: settings, onError: onError,
                                   useServiceReply: fields["use_service_reply"].flatMap { reader.bool($0, "nlu.use_service_reply") } ?? false)
    }

    // MARK: Replies

    /// A reply: a text, or a mapping with `text` and at most one rich kind.
    private mutating func reply(_ node: Node, _ what: String) -> Reply? {
        if case .scalar = node {
            return reader.string(node, what).flatMap { template($0, node, what) }.map { Reply(line: node.line, text: $0, rich: nil) }
        }
        let kinds = ["input_select", "cards", "form", "articles", "input_email", "input_csat"]
        guard let fields = reader.fields(node, what, allowed: ["text"] + kinds) else { return nil }
        let text = fields["text"].flatMap { reader.string($0, "\(what).text") }.flatMap { template($0, fields["text"], what) }
        let present = kinds.filter { fields.has($0) }
        if present.count > 1 { reader.fail(node, "\(what) can have only one of \(present.joined(separator: ", "))") }
        var rich: Reply.Rich?
        switch present.first {
        case "input_select"?:
            let value = fields["input_select"]!
            let (items, choice) = choiceItems(value, "\(what).input_select", itemsKey: "options", required: ["title"],
                                              allowed: ["title", "value"])
            if text == nil { reader.fail(node, "\(what): an input_select needs a text (the question)") }
            rich = items.map { .inputSelect(items: $0, choice: choice) }
        case "cards"?:
            rich = items(fields["cards"]!, "\(what).cards", required: ["title", "link"], allowed: ["title", "description", "media_url", "link", "link_text"]).map(Reply.Rich.cards)
        case "form"?:
            let (items, choice) = choiceItems(fields["form"]!, "\(what).form", itemsKey: "fields", required: ["name", "label"],
                                              allowed: ["name", "label", "type", "placeholder", "required", "pattern", "pattern_error", "title", "default", "options"])
            rich = items.map { .form($0, choice: choice) }
        case "articles"?:
            rich = items(fields["articles"]!, "\(what).articles", required: ["title", "link"], allowed: ["title", "description", "link"]).map(Reply.Rich.articles)
        case "input_email"?:
            let value = fields["input_email"]!
            var slot = "email"
            if case .mapping = value {
                let options = reader.fields(value, "\(what).input_email", allowed: ["slot"])
                slot = options?["slot"].flatMap { reader.string($0, "input_email.slot") } ?? "email"
            } else if reader.bool(value, "\(what).input_email") != true {
                reader.fail(value, "\(what).input_email must be true or {slot: NAME}")
            }
            slotReferences.append((slot, value))
            rich = .inputEmail(slot: slot)
        case "input_csat"?:
            rich = .inputCSAT
        default:
            if text == nil { reader.fail(node, "\(what) needs a text or rich content") }
        }
        return Reply(line: node.line, text: text, rich: rich)
    }

    /// `{slot, next, options|fields: [...]}` or just the list.
    private mutating func choiceItems(_ node: Node, _ what: String, itemsKey: String, required: [String], allowed: [String]) -> (TemplateTree?, Reply.Choice) {
        guard case .mapping = node, let fields = reader.fields(node, what, allowed: ["slot", "next", itemsKey]) else {
            return (items(node, what, required: required, allowed: allowed), Reply.Choice(slot: nil, next: nil))
        }
        let slot = fields["slot"].flatMap { reader.string($0, "\(what).slot") }
        let next = fields["next"].flatMap { reader.string($0, "\(what).next") }
        if let slot { slotReferences.append((slot, fields["slot"])) }
        if let next { intentReferences.append((next, fields["next"])) }
        guard let list = fields[itemsKey] else {
            reader.fail(node, "\(what) needs '\(itemsKey)'")
            return (nil, Reply.Choice(slot: slot, next: next))
        }
        return (items(list, what, required: required, allowed: allowed), Reply.Choice(slot: slot, next: next))
    }

    /// A list of item mappings, or `{each: PATH, …item}`.
    private mutating func items(_ node: Node, _ what: String, required: [String], allowed: [String]) -> TemplateTree? {
        if case .mapping = node {
            guard let fields = reader.fields(node, what, allowed: ["each"] + allowed) else { return nil }
            guard let path = fields["each"].flatMap({ reader.string($0, "\(what).each") }) else {
                reader.fail(node, "\(what) must be a list of items or {each: PATH, …}")
                return nil
            }
            for key in required where !fields.has(key) { reader.fail(node, "\(what): each item needs '\(key)'") }
            let members = fields.pairs.filter { $0.key != "each" }.map { ($0.key, tree($0.value, "\(what).\($0.key)")) }
            return .each(path: path, item: members)
        }
        guard let list = reader.sequence(node, what) else { return nil }
        if list.isEmpty { reader.fail(node, "\(what) needs at least one item") }
        var trees: [TemplateTree] = []
        for item in list {
            guard let fields = reader.fields(item, "an item of \(what)", allowed: allowed + ["each"]) else { continue }
            if fields.has("each") {
                if let nested = items(item, what, required: required, allowed: allowed) { trees.append(nested) }
                continue
            }
            for key in required where !fields.has(key) { reader.fail(item, "an item of \(what) needs '\(key)'") }
            trees.append(.object(fields.pairs.map { ($0.key, tree($0.value, "\(what).\($0.key)")) }))
        }
        return .array(trees)
    }

    private mutating func tree(_ node: Node, _ what: String) -> TemplateTree {
        switch node {
        case .scalar(let scalar):
            // Only `true`/`false` and plain decimal integers are not text: YAML 1.1 also reads
            // Yes/No/On/Off as booleans and 09:30 as a base-60 number, which made a button "Yes"
            // say "true".
            // A key that takes a yes-or-no (a form field's `required`) reads YAML's spellings of one.
            if scalar.style == .plain, what.hasSuffix(".required"), let bool = node.bool { return .literal(.bool(bool)) }
            if scalar.style == .plain, scalar.string == "true" || scalar.string == "false" { return .literal(.bool(scalar.string == "true")) }
            if scalar.style == .plain, scalar.string.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == "-") }), let int = Int(scalar.string) {
                return .literal(.int(int))
            }
            return template(scalar.string, node, what).map(TemplateTree.text) ?? .literal(.string(scalar.string))
        case .sequence(let sequence):
            return .array(sequence.map { tree($0, what) })
        case .mapping(let mapping):
            return .object(mapping.compactMap { key, value in key.string.map { ($0, tree(value, what)) } })
        case .alias:
            return .literal(.null)
        }
    }

    private mutating func template(_ text: String, _ node: Node?, _ what: String) -> Template? {
        do {
            let template = try Template(text)
            templateNodes.append((template, node))
            return template
        } catch let error as MustacheLibrary.ParserError {
            // The column counts the pragma Template puts in front.
            let column = max(1, error.context.columnNumber - Template.pragma.count)
            reader.fail(node, "\(what): invalid template: \(error.error) at column \(column) of the template")
            return nil
        } catch {
            reader.fail(node, "\(what): invalid template: \(error)")
            return nil
        }
    }

    // MARK: Intents

    private mutating func parseIntents(_ node: Node?) -> [String: IntentRule] {
        var rules: [String: IntentRule] = [:]
        for (name, _, value) in reader.mapping(node, "intents") ?? [] {
            let what = "intents.\(name)"
            guard let fields = reader.fields(value, what, allowed: ["reply", "handoff", "auth", "slots", "collect", "lookup", "not_found", "on_error", "csat", "clear_slots"]) else { continue }
            var handoff: String?
            if let node = fields["handoff"] {
                if let flag = node.bool, case .scalar(let scalar) = node, scalar.style == .plain {
                    handoff = flag ? "intent \(name)" : nil
                } else {
                    handoff = reader.string(node, "\(what).handoff")
                }
            }
            let slots = fields["slots"].flatMap { reader.strings($0, "\(what).slots") } ?? []
            for slot in slots { slotReferences.append((slot, fields["slots"])) }
            var form: Reply?
            if let collect = fields["collect"] {
                form = reply(collect, "\(what).collect")
                if let form, case .form? = form.rich {} else { reader.fail(collect, "\(what).collect must be a reply with a form") }
            }
            let lookup = fields["lookup"].flatMap { reader.string($0, "\(what).lookup") }
            if let lookup { lookupReferences.append((lookup, fields["lookup"])) }
            let rule = IntentRule(
                name: name, line: value.line,
                reply: fields["reply"].flatMap { reply($0, "\(what).reply") },
                handoff: handoff,
                requiresAuthentication: fields["auth"].flatMap { reader.bool($0, "\(what).auth") } ?? false,
                slots: slots,
                collectWithForm: form,
                lookup: lookup,
                notFound: fields["not_found"].flatMap { reply($0, "\(what).not_found") },
                onError: fields["on_error"].flatMap { reply($0, "\(what).on_error") },
                csat: fields["csat"].flatMap { reader.bool($0, "\(what).csat") } ?? false,
                clearSlots: fields["clear_slots"].flatMap { reader.strings($0, "\(what).clear_slots") } ?? [])
            if rule.reply == nil && rule.handoff == nil && !fields.has("reply") {
                reader.fail(value, "\(what) needs a reply or handoff")
            }
            if lookup != nil && rule.notFound == nil { reader.fail(value, "\(what) has a lookup but no not_found reply") }
            rules[name] = rule
        }
        return rules
    }

    // MARK: Slots

    private mutating func parseSlots(_ node: Node?) -> [String: SlotSpec] {
        var slots: [String: SlotSpec] = [:]
        for (name, _, value) in reader.mapping(node, "slots") ?? [] {
            let what = "slots.\(name)"
            guard let fields = reader.fields(value, what, allowed: ["type", "pattern", "min", "max", "values", "entity", "prompt", "invalid", "scope", "uppercase"]) else { continue }
            let type = fields["type"].flatMap { reader.string($0, "\(what).type") } ?? "text"
            var regex: NSRegularExpressionBox?
            let kind: SlotSpec.Kind
            switch type {
            case "text": kind = .text
            case "email": kind = .email
            case "date": kind = .date
            case "number":
                let low = fields["min"].flatMap { reader.int($0, "\(what).min") }
                let high = fields["max"].flatMap { reader.int($0, "\(what).max") }
                if let low, let high, low > high {
                    reader.fail(value, "\(what): min (\(low)) is more than max (\(high))")
                    kind = .number(nil)
                } else {
                    kind = .number(low.map { low in low...(high ?? Int.max) } ?? high.map { Int.min...$0 })
                }
            case "choice":
                let values = fields["values"].flatMap { reader.strings($0, "\(what).values") } ?? []
                if values.isEmpty { reader.fail(value, "\(what): a choice slot needs values") }
                kind = .choice(values)
            case "pattern":
                let pattern = fields["pattern"].flatMap { reader.string($0, "\(what).pattern") } ?? ""
                do {
                    regex = NSRegularExpressionBox(value: try NSRegularExpression(pattern: pattern, options: [.caseInsensitive]))
                } catch {
                    reader.fail(fields["pattern"] ?? value, "\(what).pattern is not a valid regular expression: \(pattern)")
                }
                kind = .pattern(pattern)
            default:
                reader.fail(fields["type"], "\(what).type '\(type)' is not one of: text, email, pattern, number, date, choice")
                kind = .text
            }
            guard let prompt = require(fields, "prompt").flatMap({ reply($0, "\(what).prompt") }) else { continue }
            let scope = fields["scope"].flatMap { reader.string($0, "\(what).scope") } ?? "conversation"
            if scope != "conversation" && scope != "contact" { reader.fail(fields["scope"], "\(what).scope must be conversation or contact") }
            slots[name] = SlotSpec(name: name, line: value.line, kind: kind,
                                   entity: fields["entity"].flatMap { reader.string($0, "\(what).entity") } ?? name,
                                   prompt: prompt, invalid: fields["invalid"].flatMap { reply($0, "\(what).invalid") },
                                   contactScoped: scope == "contact",
                                   uppercase: fields["uppercase"].flatMap { reader.bool($0, "\(what).uppercase") } ?? false,
                                   regex: regex)
        }
        return slots
    }

    // MARK: Lookups

    private mutating func parseLookups(_ node: Node?) -> [String: LookupSpec] {
        var lookups: [String: LookupSpec] = [:]
        for (name, _, value) in reader.mapping(node, "lookups") ?? [] {
            let what = "lookups.\(name)"
            guard let fields = reader.fields(value, what, allowed: ["method", "url", "headers", "body", "timeout", "extract", "not_found"]) else { continue }
            let method = (fields["method"].flatMap { reader.string($0, "\(what).method") } ?? "GET").uppercased()
            if !["GET", "POST", "PUT", "PATCH", "DELETE"].contains(method) { reader.fail(fields["method"], "\(what).method must be GET, POST, PUT, PATCH or DELETE") }
            guard let urlText = require(fields, "url").flatMap({ reader.string($0, "\(what).url") }),
                  let url = template(urlText, fields["url"], "\(what).url") else { continue }
            if !(urlText.hasPrefix("http://") || urlText.hasPrefix("https://") || urlText.hasPrefix("${")) {
                reader.fail(fields["url"], "\(what).url must start with http://, https:// or a ${VARIABLE}")
            }
            var headers: [String: String] = [:]
            for (header, _, headerValue) in reader.mapping(fields["headers"], "\(what).headers") ?? [] {
                headers[header] = reader.string(headerValue, "\(what).headers.\(header)")
                if let text = headers[header], text.range(of: "${") == nil, ["authorization", "x-api-key", "api-key"].contains(header.lowercased()) {
                    reader.fail(headerValue, "\(what).headers.\(header): put secrets in the environment and write ${VARIABLE} here (policies are recorded in the ledger)")
                }
            }
            var extract: [String: String] = [:]
            for (field, _, path) in reader.mapping(fields["extract"], "\(what).extract") ?? [] {
                extract[field] = reader.string(path, "\(what).extract.\(field)")
            }
            let notFound = fields["not_found"].flatMap { node -> [Int]? in
                if case .sequence(let list) = node { return list.compactMap { reader.int($0, "\(what).not_found", range: 100...599) } }
                return reader.int(node, "\(what).not_found", range: 100...599).map { [$0] }
            } ?? [404]
            lookups[name] = LookupSpec(name: name, line: value.line, method: method, url: url, headers: headers,
                                       body: fields["body"].flatMap { reader.string($0, "\(what).body") }.flatMap { template($0, fields["body"], "\(what).body") },
                                       timeoutMilliseconds: fields["timeout"].flatMap { reader.milliseconds($0, "\(what).timeout") } ?? 5000,
                                       extract: extract, notFound: notFound)
        }
        return lookups
    }

    // MARK: Hand-off, authentication, hours, monitoring

    private mutating func parseHandoff(_ node: Node?) -> HandoffSpec {
        var spec = HandoffSpec(phrases: [], afterFallbacks: 3, onLookupError: true, reply: nil, note: nil, priority: nil, team: nil, silenceOnAgentReply: true)
        guard let fields = reader.fields(node, "handoff", allowed: ["phrases", "after_fallbacks", "on_lookup_error", "reply", "note", "priority", "team", "silence_on_agent_reply"]) else { return spec }
        spec.phrases = (fields["phrases"].flatMap { reader.strings($0, "handoff.phrases") } ?? []).map(TextNormalizer.fold)
        spec.afterFallbacks = fields["after_fallbacks"].flatMap { reader.int($0, "handoff.after_fallbacks", range: 0...100) } ?? 3
        spec.onLookupError = fields["on_lookup_error"].flatMap { reader.bool($0, "handoff.on_lookup_error") } ?? true
        spec.reply = fields["reply"].flatMap { reply($0, "handoff.reply") }
        spec.note = fields["note"].flatMap { reader.string($0, "handoff.note") }.flatMap { template($0, fields["note"], "handoff.note") }
        if let priority = fields["priority"].flatMap({ reader.string($0, "handoff.priority") }) {
            if ["low", "medium", "high", "urgent"].contains(priority) { spec.priority = Priority(rawValue: priority) } else {
                reader.fail(fields["priority"], "handoff.priority must be low, medium, high or urgent")
            }
        }
        spec.team = fields["team"].flatMap { reader.int($0, "handoff.team", range: 1...Int.max) }
        spec.silenceOnAgentReply = fields["silence_on_agent_reply"].flatMap { reader.bool($0, "handoff.silence_on_agent_reply") } ?? true
        return spec
    }

    private mutating func parseAuthentication(_ node: Node) -> AuthenticationSpec? {
        guard let fields = reader.fields(node, "authentication", allowed: ["slots", "lookup", "success", "failure", "max_failures"]) else { return nil }
        let slots = require(fields, "slots").flatMap { reader.strings($0, "authentication.slots") } ?? []
        for slot in slots { slotReferences.append((slot, fields["slots"])) }
        guard let lookup = require(fields, "lookup").flatMap({ reader.string($0, "authentication.lookup") }) else { return nil }
        lookupReferences.append((lookup, fields["lookup"]))
        guard let failure = require(fields, "failure").flatMap({ reply($0, "authentication.failure") }) else { return nil }
        return AuthenticationSpec(slots: slots, lookup: lookup, success: fields["success"].flatMap { reply($0, "authentication.success") },
                                  failure: failure, maxFailures: fields["max_failures"].flatMap { reader.int($0, "authentication.max_failures", range: 1...20) } ?? 3)
    }

    private mutating func parseBusinessHours(_ node: Node) -> BusinessHours? {
        guard let fields = reader.fields(node, "business_hours", allowed: ["timezone", "hours", "outside", "reply"]) else { return nil }
        let zoneName = require(fields, "timezone").flatMap { reader.string($0, "business_hours.timezone") } ?? "UTC"
        guard let zone = TimeZone(identifier: zoneName) else {
            reader.fail(fields["timezone"], "business_hours.timezone '\(zoneName)' is not a time zone (e.g. America/Sao_Paulo)")
            return nil
        }
        var windows: [Int: [Range<Int>]] = [:]
        for (days, keyNode, value) in reader.mapping(require(fields, "hours"), "business_hours.hours") ?? [] {
            guard let weekdays = BusinessHours.days(days) else {
                reader.fail(keyNode, "business_hours.hours: '\(days)' is not a day or range (mon, mon-fri, daily, weekdays)")
                continue
            }
            guard let text = reader.string(value, "business_hours.hours.\(days)"), let intervals = BusinessHours.intervals(text) else {
                reader.fail(value, "business_hours.hours.\(days) must be like 09:00-18:00 (several separated by commas)")
                continue
            }
            for day in weekdays { windows[day, default: []] += intervals }
        }
        let outsideText = fields["outside"].flatMap { reader.string($0, "business_hours.outside") } ?? "queue"
        guard let outside = BusinessHours.Outside(rawValue: outsideText) else {
            reader.fail(fields["outside"], "business_hours.outside must be handoff or queue")
            return nil
        }
        guard let reply = require(fields, "reply").flatMap({ reply($0, "business_hours.reply") }) else { return nil }
        return BusinessHours(timeZone: zone, windows: windows, outside: outside, reply: reply)
    }

    private mutating func parseMonitoring(_ node: Node?) -> [MonitorRule] {
        var rules: [MonitorRule] = []
        for item in reader.sequence(node, "monitoring") ?? [] {
            guard let fields = reader.fields(item, "a monitoring rule", allowed: ["entity", "waiting", "lookup", "note", "priority", "suggest_replies", "earlier_conversations"]) else { continue }
            if let earlier = fields["earlier_conversations"] {
                if reader.bool(earlier, "monitoring.earlier_conversations") == true,
                   let note = try? Template("This customer has {{count}} unresolved earlier conversation(s): {{list}}.") {
                    var rule = MonitorRule(line: item.line, entity: nil, waitingMilliseconds: nil, priority: nil, lookup: nil,
                                           note: fields["note"].flatMap { reader.string($0, "monitoring.note") }.flatMap { template($0, fields["note"], "monitoring.note") } ?? note)
                    rule.earlierConversations = true
                    rules.append(rule)
                }
                continue
            }
            if let suggest = fields["suggest_replies"] {
                if reader.bool(suggest, "monitoring.suggest_replies") == true, let note = try? Template("Suggested reply ({{intent.name}}): {{reply}}") {
                    var rule = MonitorRule(line: item.line, entity: nil, waitingMilliseconds: nil, priority: nil, lookup: nil,
                                           note: fields["note"].flatMap { reader.string($0, "monitoring.note") }.flatMap { template($0, fields["note"], "monitoring.note") } ?? note)
                    rule.suggestReplies = true
                    rules.append(rule)
                }
                continue
            }
            let lookup = fields["lookup"].flatMap { reader.string($0, "monitoring.lookup") }
            if let lookup { lookupReferences.append((lookup, fields["lookup"])) }
            let entity = fields["entity"].flatMap { reader.string($0, "monitoring.entity") }
            let waiting = fields["waiting"].flatMap { reader.milliseconds($0, "monitoring.waiting") }
            if (entity == nil) == (waiting == nil) { reader.fail(item, "a monitoring rule needs either entity (a value the customer mentions) or waiting (e.g. 10m)") }
            if waiting != nil && lookup != nil { reader.fail(fields["lookup"], "a waiting rule cannot have a lookup") }
            var priority: Priority?
            if let text = fields["priority"].flatMap({ reader.string($0, "monitoring.priority") }) {
                if ["low", "medium", "high", "urgent"].contains(text) { priority = Priority(rawValue: text) } else {
                    reader.fail(fields["priority"], "monitoring.priority must be low, medium, high or urgent")
                }
            }
            guard let note = require(fields, "note").flatMap({ reader.string($0, "monitoring.note") }).flatMap({ template($0, fields["note"], "monitoring.note") }) else { continue }
            rules.append(MonitorRule(line: item.line, entity: entity, waitingMilliseconds: waiting, priority: priority, lookup: lookup, note: note))
        }
        return rules
    }

    // MARK: References

    private func checkReferences(intents: [String: IntentRule], nlu: NLUSettings?, slots: [String: SlotSpec],
                                 lookups: [String: LookupSpec], nluNode: Node?) {
        for (name, node) in intentReferences where intents[name] == nil {
            reader.fail(node, "unknown intent '\(name)' (declared: \(intents.keys.sorted().joined(separator: ", ")))")
        }
        for (name, node) in slotReferences where slots[name] == nil {
            reader.fail(node, "unknown slot '\(name)' (declared under slots: \(slots.keys.sorted().joined(separator: ", ")))")
        }
        for (name, node) in lookupReferences where lookups[name] == nil {
            reader.fail(node, "undefined lookup '\(name)' (declared under lookups: \(lookups.keys.sorted().joined(separator: ", ")))")
        }
        for (template, node) in templateNodes {
            for slot in template.slotReferences where slots[slot] == nil {
                reader.fail(node, "template refers to unknown slot '\(slot)'")
            }
        }
        guard let nlu else { return }
        let trained = Set(nlu.intents)
        // An intent only a widget answer leads to (`next:`) needs no examples; with an external
        // engine the service knows the intents.
        let reachable = trained.union(intentReferences.map(\.0))
        for (name, rule) in intents.sorted(by: { $0.key < $1.key }) where nlu.engine == "builtin" && !reachable.contains(name) {
            reader.fail(line: rule.line, "intent '\(name)' has a rule but no training examples in nlu and no `next:` leads to it (known: \(nlu.intents.joined(separator: ", ")))")
        }
        for name in nlu.intents where intents[name] == nil {
            reader.fail(nluNode, "intent '\(name)' has training examples but no rule under intents")
        }
    }
}

