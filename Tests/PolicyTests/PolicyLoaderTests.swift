import Chatwoot
import Foundation
import LedgerbotTesting
import Policy
import Testing

@Suite struct PolicyLoaderTests {
    static let minimal = """
        name: mini
        version: 1
        nlu:
          training:
            - intent: greet
              examples: |
                - hi
                - hello
            - intent: bye
              examples: |
                - bye
                - see you
        fallback: "Sorry?"
        intents:
          greet:
            reply: "Hello {{contact.first_name}}"
          bye:
            reply: "Bye!"
        """

    @Test func aMinimalPolicyLoads() throws {
        let policy = try PolicyLoader.load(yaml: Self.minimal)
        #expect(policy.id == "mini@1")
        #expect(policy.nlu.intents == ["bye", "greet"])
        #expect(policy.contentHash.count == 64)
        let reply = try #require(policy.intents["greet"]?.reply)
        #expect(reply.message(TemplateContext(["contact": ["first_name": "Ana"]])).content == "Hello Ana")
    }

    @Test func templatesAreNotHTMLEscaped() throws {
        let template = try Template("{{name}} & co <b>")
        #expect(template.render(TemplateContext(["name": "Tom & Jerry's"])) == "Tom & Jerry's & co <b>")
    }

    /// Each mistake is reported with the line it is on, all at once.
    @Test func everyProblemIsReportedWithItsLine() throws {
        let yaml = Self.minimal + """

            slots:
              order:
                type: pattern
                pattern: "[A-Z"
                prompt: "Order?"
            lookups:
              orders:
                url: "ftp://example.com/{{slots.ordr}}"
                headers:
                  Authorization: "Bearer abc123"
            handoff:
              priority: mega
              phrasez: [human]
            business_hours:
              timezone: Mars/Olympus
              hours: {mon: "9-5"}
              reply: closed
            monitoring:
              - entity: order
                lookup: missing
                note: "{{#unclosed}}"
            """
        let error = try #require(throws: PolicyError.self) { try PolicyLoader.load(yaml: yaml, file: "bad.yml") }
        let text = error.description
        let expectations: [(String, Int)] = [
            ("slots.order.pattern is not a valid regular expression", 22),
            ("lookups.orders.url must start with http://", 26),
            ("template refers to unknown slot 'ordr'", 26),
            ("put secrets in the environment", 28),
            ("handoff.priority must be low, medium, high or urgent", 30),
            ("unknown key 'phrasez'", 31),
            ("'Mars/Olympus' is not a time zone", 33),
            ("undefined lookup 'missing'", 38),
            ("monitoring.note: invalid template", 39),
        ]
        for (message, line) in expectations {
            let issue = error.issues.first { $0.message.contains(message) }
            #expect(issue?.line == line, "\(message) expected at line \(line) in:\n\(text)")
            #expect(issue?.file == "bad.yml")
        }
        #expect(text.contains("bad.yml:22:14: error: slots.order.pattern"))
    }

    @Test func unknownIntentsAndMissingRulesAreErrors() throws {
        let yaml = Self.minimal.replacingOccurrences(of: "  bye:\n    reply: \"Bye!\"", with: "  byebye:\n    reply: \"Bye!\"")
        let error = try #require(throws: PolicyError.self) { try PolicyLoader.load(yaml: yaml) }
        #expect(error.issues.contains { $0.message.contains("intent 'bye' has training examples but no rule") })
        #expect(error.issues.contains { $0.message.contains("intent 'byebye' has a rule but no training examples") })
    }

    @Test func brokenYAMLPointsAtTheLine() throws {
        let error = try #require(throws: PolicyError.self) { try PolicyLoader.load(yaml: "name: x\nversion: [1\n", file: "b.yml") }
        #expect(error.issues.first?.line ?? 0 >= 2)
        #expect(error.issues.first?.message.hasPrefix("YAML:") == true)
    }

    @Test func rasaAnnotationsFeedTheEntityExtractor() throws {
        let yaml = Self.minimal.replacingOccurrences(of: "        - see you", with: "        - see you\n        - bye from [São Paulo](city)\n        - bye from [Rio](city:Rio de Janeiro)")
        let policy = try PolicyLoader.load(yaml: yaml)
        #expect(policy.nlu.examples.contains { $0.text == "bye from São Paulo" })
        let found = policy.nlu.entities.extract("I'm in sao paulo")
        #expect(found.map(\.value) == ["São Paulo"])
        #expect(policy.nlu.entities.extract("moving to rio").map(\.value) == ["Rio de Janeiro"])
        // Annotations naming no entity keep their text and add nothing; they used to crash the loader.
        let empty = Self.minimal.replacingOccurrences(of: "        - see you", with: "        - see you\n        - bye [here]() and [there](:) or [AB-10001](order:)")
        let loaded = try PolicyLoader.load(yaml: empty)
        #expect(loaded.nlu.examples.contains { $0.text == "bye here and there or AB-10001" })
        #expect(loaded.nlu.entities.extract("see AB-10001").map(\.value) == ["AB-10001"])
    }

    @Test func slotsValidateAndNormalise() throws {
        let yaml = Self.minimal + """

            slots:
              email: {type: email, prompt: "Email?"}
              order: {type: pattern, pattern: '[A-Z]{2}-?\\d{5}', uppercase: true, prompt: "Order?"}
              guests: {type: number, min: 1, max: 6, prompt: "Guests?"}
              day: {type: date, prompt: "Day?"}
              room: {type: choice, values: [Standard, Deluxe], prompt: "Room?"}
            """
        let policy = try PolicyLoader.load(yaml: yaml)
        let now: Int64 = 1_780_000_000_000_000 // 2026-05-28 UTC
        func value(_ slot: String, _ text: String) -> String? { policy.value(of: policy.slots[slot]!, in: text, at: now) }
        #expect(value("email", "it's Maria@Example.com.") == "maria@example.com")
        #expect(value("email", "no email here") == nil)
        #expect(value("order", "order ab-12345 please") == "AB-12345")
        #expect(value("guests", "we are 3") == "3")
        #expect(value("guests", "9 people") == nil)
        #expect(value("guests", "two of us") == "2")
        let signed = try PolicyLoader.load(yaml: yaml.replacingOccurrences(of: "guests: {type: number, min: 1, max: 6", with: "guests: {type: number, min: -10, max: 6"))
        func signedValue(_ text: String) -> String? { signed.value(of: signed.slots["guests"]!, in: text, at: now) }
        #expect(signedValue("-5") == "-5" && signedValue("it is -3 here") == "-3" && signedValue("2-3") == "2" && signedValue("5") == "5")
        #expect(value("day", "2027-02-28") == "2027-02-28")
        #expect(value("day", "2027-02-30") == nil)
        #expect(value("day", "tomorrow") == "2026-05-29")
        #expect(value("day", "12/25") == "2026-12-25")
        #expect(value("room", "the deluxe one") == "Deluxe")
        // A third number is a year only as part of the same date.
        #expect(value("day", "12/20 to 12/22") == "2026-12-20")
        #expect(value("day", "12/20/2027") == "2027-12-20")
        #expect(value("day", "12/20/27, 2 of us") == "2027-12-20")
        #expect(value("day", "the day after tomorrow") == "2026-05-30")
        // A date written out wins over "today" elsewhere; loose numbers are no date.
        #expect(value("day", "I'd like 2026-12-20, can I book it today?") == "2026-12-20")
        #expect(value("day", "12/20 if you have it today") == "2026-12-20")
        #expect(value("day", "in 2 or 3 weeks") == nil)
        #expect(value("day", "12 20") == "2026-12-20")
        // Beside "tomorrow", a time of day is no date.
        #expect(value("day", "tomorrow at 10.30") == "2026-05-29")
        #expect(value("day", "today 2-3pm") == "2026-05-28")
        #expect(value("day", "tomorrow, or 12.20.2026") == "2026-12-20")
        // Addresses come without what encloses or introduces them.
        for text in ["(jane@example.com)", "email:jane@example.com", "\"jane@example.com\"", "[Jane@Example.com].", "it's “jane@example.com”", "'jane@example.com'"] {
            #expect(value("email", text) == "jane@example.com", "\(text)")
        }
        #expect(value("email", "it's o'brien@example.com") == "o'brien@example.com")
        // Day first outside US (and Philippine) English.
        for (language, expected) in [("en-AU", "2026-12-05"), ("en-GB", "2026-12-05"), ("en-US", "2026-05-12"), ("en-IN", "2026-12-05"),
                                     ("en_US", "2026-05-12"), ("en-us", "2026-05-12")] {
            let local = try PolicyLoader.load(yaml: yaml + "\nlanguage: \(language)\n")
            #expect(local.value(of: local.slots["day"]!, in: "05/12", at: now) == expected, "\(language)")
        }
        let portuguese = try PolicyLoader.load(yaml: yaml + "\nlanguage: pt-BR\n")
        #expect(portuguese.language == "pt-BR")
        func valor(_ text: String) -> String? { portuguese.value(of: portuguese.slots["day"]!, in: text, at: now) }
        #expect(valor("20/12 a 22/12") == "2026-12-20")
        #expect(valor("20/12, 2 pessoas") == "2026-12-20")
        #expect(valor("20/12/2027") == "2027-12-20")
        #expect(valor("depois de amanhã") == "2026-05-30")
        #expect(valor("amanhã") == "2026-05-29")
        #expect(valor("amanhã às 9.15") == "2026-05-29")
        #expect(valor("20.12") == "2026-12-20")
    }

    @Test func businessHoursFollowTheTimeZone() throws {
        let yaml = Self.minimal + """

            business_hours:
              timezone: America/Sao_Paulo
              hours:
                mon-fri: "09:00-18:00"
                sat: "10:00-12:00"
              reply: "Closed ({{hours}})"
            """
        let hours = try #require(try PolicyLoader.load(yaml: yaml).businessHours)
        #expect(hours.description == "Mon–Fri 09:00–18:00, Sat 10:00–12:00 (America/Sao_Paulo)")
        // 2026-11-25 (Wednesday) 12:30 UTC = 09:30 in São Paulo (UTC-3): open; 11:30 UTC = 08:30: closed.
        #expect(hours.isOpen(atMicros: 1_796_214_600_000_000))
        #expect(!hours.isOpen(atMicros: 1_796_211_000_000_000))
    }

    @Test func everyExamplePolicyPassesTheCheck() async throws {
        let examples = fixturesDirectory().deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("examples")
        let files = try FileManager.default.contentsOfDirectory(atPath: examples.path).filter { $0.hasSuffix(".yml") }.sorted()
        #expect(files.contains("support-triage.yml"))
        // Loading trains each policy's NLU model: seconds of work, kept off the tests' shared threads.
        let failures = try await offPool {
            files.compactMap { file -> String? in
                do { _ = try PolicyLoader.load(path: examples.appendingPathComponent(file).path); return nil } catch { return "\(file): \(error)" }
            }
        }
        #expect(failures.isEmpty, "\(failures)")
    }

    /// An intent that requires authentication in a policy without an `authentication:` section
    /// would answer anyone: an error. A number slot whose min is over its max is an error, not a
    /// crash of the loader.
    @Test func authWithoutAnAuthenticationSectionAndAnEmptyRangeAreErrors() throws {
        let noSection = Self.minimal.replacingOccurrences(of: "  bye:\n    reply: \"Bye!\"", with: "  bye:\n    reply: \"Bye!\"\n    auth: true")
        #expect(noSection != Self.minimal)
        let error = try #require(throws: PolicyError.self) { try PolicyLoader.load(yaml: noSection) }
        #expect(error.issues.contains { $0.message.contains("intents.bye has auth: true but the policy has no authentication section") }, "\(error.issues)")
        let range = Self.minimal + "\n\nslots:\n  guests: {type: number, min: 6, max: 1, prompt: \"?\"}\n"
        let rangeError = try #require(throws: PolicyError.self) { try PolicyLoader.load(yaml: range) }
        #expect(rangeError.issues.contains { $0.message.contains("min (6) is more than max (1)") }, "\(rangeError.issues)")
    }

    /// Plain Yes/No/On/Off and times such as 09:30 in rich items are text, as written (YAML 1.1
    /// read them as booleans and base-60 numbers: a button "Yes" said "true").
    @Test func plainWordsInRichItemsStayText() throws {
        let yaml = Self.minimal.replacingOccurrences(of: "  bye:\n    reply: \"Bye!\"", with: """
              bye:
                reply:
                  text: "Helpful?"
                  input_select:
                    options: [{title: Yes, value: yes}, {title: No, value: off}, {title: 09:30, value: 42}]
            """)
        let policy = try PolicyLoader.load(yaml: yaml)
        let message = try #require(policy.intents["bye"]?.reply).message(TemplateContext([:]))
        let items = (message.contentAttributes?["items"]?.arrayValue ?? []).map { ($0["title"]?.stringValue ?? "?", $0["value"]?.stringValue ?? "?") }
        #expect(items.map(\.0) == ["Yes", "No", "09:30"] && items.map(\.1) == ["yes", "off", "42"], "\(items)")
        // A form field's `required` still reads YAML's spellings of yes and no.
        let form = Self.minimal.replacingOccurrences(of: "  bye:\n    reply: \"Bye!\"", with: """
              bye:
                reply:
                  text: "Details?"
                  form:
                    fields:
                      - {name: a, label: A, type: text, required: yes}
                      - {name: b, label: B, type: text, required: True}
                      - {name: c, label: C, type: text, required: off}
            """)
        let fields = try #require(try PolicyLoader.load(yaml: form).intents["bye"]?.reply).message(TemplateContext([:])).contentAttributes?["items"]?.arrayValue ?? []
        #expect(fields.map { $0["required"] } == [true, true, false], "\(fields)")
    }

    /// A duration too large for an Int (`1e300s`) is a policy error naming it, not a crash of
    /// `policy check` or `serve`.
    @Test func anEnormousDurationIsAnError() throws {
        for timeout in ["1e300s", "1e300", "400d", "600000m"] {
            let yaml = Self.minimal + "\n\nlookups:\n  slow:\n    url: \"${API}/x\"\n    timeout: \(timeout)\n"
            let error = try #require(throws: PolicyError.self, "\(timeout)") { try PolicyLoader.load(yaml: yaml) }
            #expect(error.issues.contains { $0.message.contains("lookups.slow.timeout must be a duration") }, "\(error.issues)")
        }
        let fine = try PolicyLoader.load(yaml: Self.minimal + "\n\nlookups:\n  slow:\n    url: \"${API}/x\"\n    timeout: 90s\n")
        #expect(fine.lookups["slow"]?.timeoutMilliseconds == 90_000)
    }

    @Test func lookupBodiesStayValidJSONAndURLsEscapeWhateverTheCustomerTyped() throws {
        let yaml = Self.minimal + """

            lookups:
              book:
                method: POST
                url: "${API}/bookings?who={{contact.name}}"
                body: '{"name": "{{contact.name}}", "note": "{{message}}"}'
            """
        let policy = try PolicyLoader.load(yaml: yaml)
        let context = TemplateContext(["contact": ["name": "Ann \"Jo\" O'Neil\\"], "message": "line 1\nline 2"])
        let call = try #require(policy.lookups["book"]).call(context, idempotencyKey: "ledgerbot-1-book")
        let body = try #require(call.body)
        let parsed = try #require(try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: String])
        #expect(parsed["name"] == "Ann \"Jo\" O'Neil\\")
        #expect(parsed["note"] == "line 1\nline 2")
        #expect(call.url == "${API}/bookings?who=Ann%20%22Jo%22%20O%27Neil%5C")
        #expect(call.idempotencyKey == "ledgerbot-1-book")
    }

    /// The effect runner fills `${NAME}` in a lookup's body from the environment: what the
    /// customer typed must never form such a reference, or `${PGPASSWORD}` as a guest name would
    /// send the server's secret to the backend.
    @Test func customerTextCannotNameAnEnvironmentVariableInALookupBody() throws {
        let yaml = Self.minimal + """

            lookups:
              book:
                method: POST
                url: "${API}/bookings/{{message}}"
                body: '{"guest": "{{message}}", "note": "refund ${{message}}", "token": "${BOOKING_TOKEN}"}'
            """
        let policy = try PolicyLoader.load(yaml: yaml)
        let typed = "{PGPASSWORD} ${PGPASSWORD} and $${X}} $" // after the template's literal `$`, a leading `{` would complete a reference
        let call = try #require(policy.lookups["book"]).call(TemplateContext(["message": .string(typed)]), idempotencyKey: "k")
        let body = try #require(call.body)
        // The policy's own reference stays for the runner; none comes from the customer's text.
        #expect(body.components(separatedBy: "${").count == 2, "\(body)")
        #expect(body.contains("\"token\": \"${BOOKING_TOKEN}\""))
        let parsed = try #require(try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: String])
        #expect(parsed["guest"] == typed) // the backend still reads exactly what was typed
        #expect(parsed["note"] == "refund $" + typed)
        #expect(!call.url.dropFirst(2).contains("${"), "\(call.url)")
    }

    /// A pattern slot takes a whole word only: an answer glued to more letters or digits names
    /// something else ("AB-100019" is not order AB-10001, someone else's).
    @Test func aPatternSlotTakesAWholeWordOnly() throws {
        let yaml = Self.minimal + """

            slots:
              order_number:
                type: pattern
                pattern: '[A-Za-z]{2}-?\\d{5}'
                uppercase: true
                prompt: "Order number?"
            """
        let slot = try #require(try PolicyLoader.load(yaml: yaml).slots["order_number"])
        func read(_ text: String) -> String? { slot.validate(text, language: "en", now: 0, timeZone: .gmt) }
        #expect(read("it is AB-100019") == nil)
        #expect(read("XAB-10001") == nil)
        #expect(read("it is ab10001.") == "AB10001")
        #expect(read("AB-10001, and also AB-10002") == "AB-10001")
        #expect(read("AB-100019 no sorry AB-10002") == "AB-10002", "the first whole word")
    }
}
