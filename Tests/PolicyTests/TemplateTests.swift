import Chatwoot
import Foundation
import Mustache
import Testing
@testable import Policy

/// Rendering takes two shortcuts: a template without tags is its text, and only the context
/// names a template uses are converted for Mustache. Both must render exactly what Mustache
/// renders with the whole context.
struct TemplateTests {
    static let context = TemplateContext([
        "contact": ["name": "Ana Lima", "first_name": "Ana", "email": "ana@example.com"],
        "slots": ["order_number": "AB-12345", "topic": "billing"],
        "result": ["status": "shipped", "items": [["title": "Mug", "qty": 2], ["title": "Tea", "qty": 1]]],
        "lookups": ["verify_customer": ["name": "Ana", "tier": "gold"]],
        "intent": ["name": "order_status", "confidence": 0.91],
        "message": "where is my order?",
        "hours": "Mon–Fri 9:00–18:00",
        "status": "top-level status",
        "title": "top-level title",
        "empty": .null,
        "rating": 5,
    ])

    static let sources = [
        "Plain text, no tags at all.",
        "\nstarts with a newline",
        "  \n  indented lines\n",
        "Hi{{#contact.first_name}} {{contact.first_name}}{{/contact.first_name}}!",
        "{{^contact.phone}}no phone{{/contact.phone}} {{contact.email}}",
        "Order {{slots.order_number}} is {{result.status}}.",
        "{{#result}}{{status}}{{/result}} / {{status}}",
        "{{#result.items}}- {{title}} × {{qty}}\n{{/result.items}}",
        "{{#result.items}}{{title}} ({{message}}) {{/result.items}}",
        "{{{message}}} {{&hours}} {{! a comment }}{{ rating }}",
        "{{#empty}}never{{/empty}}{{^empty}}shown{{/empty}}",
        "{{missing}}|{{missing.deeper}}|{{#missing}}x{{/missing}}",
        "{{intent.name}} at {{intent.confidence}}",
        "{{=<% %>=}}<% message %> and {{literal}}",
        "{{#result.items}}{{.}}{{/result.items}}",
        "{{! a {{b}} }}{{message}}",
        "{{# slots.topic }}topic {{ slots.topic }}{{/ slots.topic }}",
    ]

    @Test(arguments: sources)
    func rendersWhatMustacheRendersWithTheWholeContext(source: String) throws {
        let template = try Template(source)
        let reference = try MustacheTemplate(string: Template.pragma + source)
        let whole = Self.context.mustacheValue(only: nil) // every value, as before the shortcut
        #expect(template.render(Self.context) == reference.render(whole))
        if !template.readsContext {
            #expect(template.render(TemplateContext()) == reference.render(whole))
        }
        // Lookup URLs and bodies escape only the values the template names: the same as
        // escaping the whole context.
        for escape in [TemplateContext.escapeForURL, TemplateContext.escapeForJSON] {
            #expect(template.render(Self.context, escaping: escape) == reference.render(Self.context.mustacheValue(only: nil, escaping: escape)))
        }
    }

    /// A tag naming an object or a list prints it as canonical JSON (keys sorted): Mustache
    /// printed Swift's description of a Dictionary, in an order that changes from process to
    /// process, so a replay re-derived other text. Sections and transforms still see members.
    @Test func objectsAndListsPrintAsCanonicalJSON() throws {
        let keys = ["zeta", "alpha", "mid", "beta", "omega", "gamma", "delta", "eta", "iota", "kappa"]
        let context = TemplateContext(["result": .object(Dictionary(uniqueKeysWithValues: keys.map { ($0, JSONValue.string($0.uppercased())) })),
                                       "items": [["b": 1, "a": 2], ["title": "Tea"]]])
        let sorted = "{" + keys.sorted().map { "\"\($0)\":\"\($0.uppercased())\"" }.joined(separator: ",") + "}"
        #expect(try Template("{{result}}").render(context) == sorted)
        #expect(try Template("{{items}}").render(context) == #"[{"a":2,"b":1},{"title":"Tea"}]"#)
        #expect(try Template("{{result.alpha}} {{#items}}[{{title}}]{{/items}} {{count(items)}} {{count(result)}}").render(context) == "ALPHA [][Tea] 2 10")
        #expect(try Template("{{^empty(items)}}some{{/empty(items)}}{{#first(items)}} first a={{a}}{{/first(items)}}").render(context) == "some first a=2")
        // Enumerated in key order, not the Dictionary's.
        #expect(try Template("{{#enumerated(result)}}{{key}} {{/enumerated(result)}}").render(context) == keys.sorted().map { $0 + " " }.joined())
        // Inside a JSON body, a whole object is escaped once, as a string is.
        let body = TemplateContext(["order": ["note": "a\"b $5"]])
        let rendered = try Template(#"{"order": "{{order}}"}"#).render(body, escaping: TemplateContext.escapeForJSON)
        let decoded = try JSONSerialization.jsonObject(with: Data(rendered.utf8)) as? [String: String]
        #expect(decoded?["order"] == #"{"note":"a\"b $5"}"#, "\(rendered)")
    }

    @Test func onlyATemplateWithoutTagsIsFixed() throws {
        #expect(try !Template("Plain text.").readsContext)
        #expect(try !Template("\nstarts with a newline").readsContext)
        #expect(try Template("{{message}}").readsContext)
        #expect(try Template("{{! only a comment }}").readsContext) // rendered by Mustache each time: still right
    }

    @Test func namesAreTheFirstComponentOfEachTag() {
        #expect(Template.contextNames(in: "Hi {{contact.first_name}}, {{#slots.order}}{{slots.order}}{{/slots.order}}") == ["contact", "slots"])
        #expect(Template.contextNames(in: "{{{message}}} {{& hours }} {{! comment }} {{^empty}}x{{/empty}}") == ["message", "hours", "empty"])
        #expect(Template.contextNames(in: "no tags") == [])
        // Anything but a name: the whole context is converted.
        #expect(Template.contextNames(in: "{{#items}}{{.}}{{/items}}") == nil)
        #expect(Template.contextNames(in: "{{uppercased(name)}}") == nil)
        #expect(Template.contextNames(in: "{{=<% %>=}}<% name %>") == nil)
        #expect(Template.contextNames(in: "{{> partial}}") == nil)
        #expect(Template.contextNames(in: "{{name") == nil)
        #expect(Template.contextNames(in: "{{}}") == nil) // the root itself
        #expect(Template.contextNames(in: "{{#\nslots}}x{{/slots}}") == nil)
        #expect(Template.contextNames(in: "{{$block}}{{message}}{{/block}}") == nil)
        #expect(Template.contextNames(in: "{{#items}}{{index()}}{{/items}}") == nil)
        #expect(Template.contextNames(in: "{{! a {{b}} }}{{message}}") == ["message"])
    }

    @Test func aReplyReadsTheContextOnlyWhenSomethingInItDoes() throws {
        let fixed = Reply(line: 1, text: try Template("Thanks!"), rich: .cards(.array([.object([("title", .literal("Refunds"))])])))
        #expect(!fixed.readsContext)
        let named = Reply(line: 1, text: try Template("Thanks {{contact.name}}"), rich: nil)
        #expect(named.readsContext)
        let each = Reply(line: 1, text: try Template("Your items:"),
                         rich: .cards(.each(path: "result.items", item: [("title", .text(try Template("{{title}}"))),
                                                                          ("link", .literal("https://example.com/item"))])))
        #expect(each.readsContext)
        #expect(each.message(Self.context) != each.message(TemplateContext()))
    }
}
