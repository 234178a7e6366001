import Chatwoot

/// What the bot says: a text, optionally with rich content (docs/chatwoot-protocol.md §6 shapes).
public struct Reply: Sendable {
    public var line: Int
    public var text: Template?
    public var rich: Rich?

    /// Rich content of a reply.
    public enum Rich: Sendable {
        /// Buttons; the chosen value fills ``Choice/slot`` and runs ``Choice/next``, when set.
        case inputSelect(items: TemplateTree, choice: Choice)
        case cards(TemplateTree)
        /// A form; each field's answer fills the slot of the field's name, then ``Choice/next`` runs.
        case form(TemplateTree, choice: Choice)
        case articles(TemplateTree)
        /// An email box; the answer fills the slot (default `email`).
        case inputEmail(slot: String)
        case inputCSAT
    }

    /// Where a widget answer goes.
    public struct Choice: Sendable {
        public var slot: String?
        public var next: String?
    }

    /// The message for this context. Items whose required text renders empty are dropped (a
    /// lookup that returned fewer fields); Chatwoot would reject them.
    /// The context is built only when the reply reads one (``readsContext``).
    public func message(_ context: @autoclosure () -> TemplateContext) -> OutgoingMessage {
        let context = readsContext ? context() : TemplateContext()
        let content = text?.render(context)
        guard let rich else { return .text(content ?? "") }
        switch rich {
        case .inputSelect(let items, _):
            let rendered = Self.objects(items.render(context)).compactMap { item -> SelectItem? in
                guard let title = item["title"]?.scalarText, !title.isEmpty else { return nil }
                return SelectItem(title: title, value: item["value"]?.scalarText ?? title)
            }
            // Chatwoot rejects an input_select without items (e.g. a lookup that found none).
            return rendered.isEmpty ? .text(content ?? "") : .inputSelect(content ?? "", items: rendered)
        case .cards(let items):
            let cards = Self.objects(items.render(context)).compactMap { item -> Card? in
                // Chatwoot rejects a card without an action, so a card whose link rendered empty is dropped.
                guard let title = item["title"]?.stringValue, !title.isEmpty, let link = item["link"]?.stringValue, !link.isEmpty else { return nil }
                let actions: [CardAction] = [.link(text: item["link_text"]?.stringValue ?? "Open", uri: link)]
                let description = item["description"]?.stringValue
                let media = item["media_url"]?.stringValue
                return Card(title: title, description: description?.isEmpty == true ? nil : description,
                            mediaURL: media?.isEmpty == true ? nil : media, actions: actions)
            }
            return cards.isEmpty ? .text(content ?? "") : .cards(cards, content: content)
        case .form(let items, _):
            let fields = Self.objects(items.render(context)).compactMap { item -> FormItem? in
                guard let name = item["name"]?.stringValue, let label = item["label"]?.stringValue else { return nil }
                let type: FormFieldType = switch item["type"]?.stringValue ?? "text" {
                case "email": .email
                case "text_area": .textArea
                case "select": .select
                case "text": .text
                case let other: .other(other)
                }
                let options = item["options"]?.arrayValue?.compactMap { option -> FormOption? in
                    guard let label = option["label"]?.scalarText else { return nil }
                    return FormOption(label: label, value: option["value"]?.scalarText ?? label)
                }
                return FormItem(name: name, label: label, type: type, placeholder: item["placeholder"]?.stringValue,
                                required: item["required"]?.boolValue, pattern: item["pattern"]?.stringValue,
                                patternError: item["pattern_error"]?.stringValue, title: item["title"]?.stringValue,
                                defaultValue: item["default"]?.scalarText, options: options)
            }
            return fields.isEmpty ? .text(content ?? "") : .form(content ?? "", items: fields)
        case .articles(let items):
            let articles = Self.objects(items.render(context)).compactMap { item -> ArticleItem? in
                guard let title = item["title"]?.stringValue, !title.isEmpty, let link = item["link"]?.stringValue, !link.isEmpty else { return nil }
                return ArticleItem(title: title, description: item["description"]?.stringValue, link: link)
            }
            return articles.isEmpty ? .text(content ?? "") : .articles(articles, content: content)
        case .inputEmail:
            return .inputEmail(content ?? "")
        case .inputCSAT:
            return .inputCSAT(content ?? "")
        }
    }

    /// Whether the message depends on the context (false: any context, even an empty one, gives
    /// the same message, so none need be built).
    public var readsContext: Bool {
        if text?.readsContext == true { return true }
        switch rich {
        case .inputSelect(let tree, _), .cards(let tree), .form(let tree, _), .articles(let tree): return tree.readsContext
        case .inputEmail, .inputCSAT, nil: return false
        }
    }

    /// What a widget answer to this reply fills and runs, if it is a widget reply.
    public var choice: Choice? {
        switch rich {
        case .inputSelect(_, let choice), .form(_, let choice): choice
        case .inputEmail(let slot): Choice(slot: slot, next: nil)
        default: nil
        }
    }

    var templates: [Template] {
        var all = text.map { [$0] } ?? []
        switch rich {
        case .inputSelect(let tree, _), .cards(let tree), .form(let tree, _), .articles(let tree): all += tree.templates
        case .inputEmail, .inputCSAT, nil: break
        }
        return all
    }

    private static func objects(_ value: JSONValue) -> [JSONValue] {
        value.arrayValue?.filter { $0.objectValue != nil } ?? []
    }
}
