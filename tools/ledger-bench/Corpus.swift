import Ledger

/// The benchmark corpus: `count` Chatwoot webhook bodies in one contiguous buffer
/// (so dropping it really returns the memory), with the metadata an append needs.
final class Corpus: Sendable {
    static let eventNames = ["message_created", "message_updated", "conversation_status_changed", "conversation_opened",
                             "conversation_resolved", "conversation_updated", "webwidget_triggered"]
    static let ledgerType = "webhook.received"

    let bytes: [UInt8]
    let offsets: [Int]           // count + 1
    let streams: [String]
    let times: [Int64]           // µs since 1970
    let kinds: [UInt8]           // index into `eventNames`
    let outgoing: [Bool]         // message_created/updated with message_type outgoing
    let conversations: Int
    let contacts: Int

    init(bytes: [UInt8], offsets: [Int], streams: [String], times: [Int64], kinds: [UInt8], outgoing: [Bool], conversations: Int, contacts: Int) {
        self.bytes = bytes
        self.offsets = offsets
        self.streams = streams
        self.times = times
        self.kinds = kinds
        self.outgoing = outgoing
        self.conversations = conversations
        self.contacts = contacts
    }

    var count: Int { times.count }
    var totalBytes: Int64 { Int64(bytes.count) }

    func body(_ i: Int) -> ArraySlice<UInt8> { bytes[offsets[i]..<offsets[i + 1]] }

    func draft(_ i: Int) -> EventDraft {
        EventDraft(stream: streams[i], type: Self.ledgerType, time: times[i], body: Array(body(i)))
    }
}

/// Generates a deterministic stream of webhooks from ~`count / 10` simulated widget conversations
/// (bot greeting, input_select / form questions and their submissions, handoffs to agents,
/// status changes, resolutions), interleaved as they would arrive at the bot.
struct CorpusGenerator {
    private var rng: SplitMix64
    private var clock: Int64 = 1_778_663_741_000_000       // 2026-05-13T09:15:41Z, in µs
    private var nextConversationID = 1_000
    private var nextContactID = 40
    private var nextContactInboxID = 50
    private var nextMessageID = 9_000
    private var recentContacts: [Contact] = []
    private var conversationsMade = 0
    private var contactsMade = 0

    init(seed: UInt64) { rng = SplitMix64(seed: seed) }

    // MARK: Model

    struct Contact {
        var id: Int
        var name: String
        var firstName: String
        var email: String?
        var phone: String?
        var identifier: String?
        var city: (String, String, String)?  // city, country, country code
        var portuguese: Bool
    }

    struct Browser { var name, version, device, platform, platformVersion: String }
    struct Inbox { var id: Int; var name: String; var portuguese: Bool }
    struct Agent { var id: Int; var name: String }

    enum Widget { case none, select([(String, String)]), form }

    struct Message {
        var id: Int
        var content: String
        var contentType: String
        var incoming: Bool
        var createdAt: Int64
        var updatedAt: Int64
        var sender: Sender
        var widget: Widget = .none
        var submitted: [(String, String)]? = nil   // select: (title, value); form: (name, value)
    }

    enum Sender { case contact, bot, agent(Agent) }

    enum Step { case widget, incoming, botText, botSelect, botForm, submitSelect, submitForm, handoff, agentReply,
                statusOpen, opened, statusResolved, resolved, updated }

    final class Conversation {
        var id = 0
        var contact: Contact
        var contactInboxID = 0
        var sourceID = ""
        var pubsubToken = ""
        var inbox: Inbox
        var browser: Browser
        var language = "en"
        var referer = ""
        var zone: (Int, String) = (120, "Central European Summer Time")
        var createdAt: Int64 = 0
        var status = "pending"
        var assignee: Agent?
        var labels: [String] = []
        var priority: String?
        var unread = 0
        var waitingSince: Int64 = 0
        var lastActivity: Int64 = 0
        var firstReply: Int64?
        var updatedAt: Int64 = 0
        var last: Message?
        var steps: [Step] = []
        var position = 0

        init(contact: Contact, inbox: Inbox, browser: Browser) {
            self.contact = contact
            self.inbox = inbox
            self.browser = browser
        }
    }

    // MARK: Text pools (English and pt-BR)

    static let firstNames = ["Jane", "John", "Maria", "João", "José", "Ana", "Beatriz", "Conceição", "Luís", "Fernanda", "Gabriel",
                             "Lucas", "Júlia", "Mateus", "Letícia", "Sophie", "Liam", "Olivia", "Noah", "Emma", "Carlos", "Antônio",
                             "Raquel", "Vinícius", "André", "Márcia", "Sebastián", "Zoë", "Priscila", "Thiago", "Amélie", "Chloé",
                             "Otávio", "Caio", "Bruna", "Mohammed", "Aisha", "Wei", "Yuki", "Igor", "Paula", "Rafael", "Helena"]
    static let lastNames = ["Doe", "Silva", "Santos", "Oliveira", "Souza", "Pereira", "Gonçalves", "Araújo", "Ribeiro", "Smith",
                            "Johnson", "Brown", "Müller", "García", "Fernández", "Costa", "Almeida", "Lima", "Carvalho", "Rocha",
                            "Nascimento", "Magalhães", "Conceição", "O'Brien", "Nguyen", "Kowalski", "Rossi", "Dubois", "Schäfer"]
    static let adjectives = ["misty", "quiet", "bold", "purple", "winter", "silent", "dawn", "autumn", "sparkling", "cool", "wild", "lively"]
    static let nouns = ["river", "meadow", "fire", "moon", "sea", "forest", "leaf", "snow", "field", "cloud", "breeze", "pine"]
    static let domains = ["gmail.com", "hotmail.com", "outlook.com", "yahoo.com.br", "uol.com.br", "example.com", "icloud.com", "acme.example"]
    static let cities: [(String, String, String)] = [("São Paulo", "Brazil", "BR"), ("Rio de Janeiro", "Brazil", "BR"), ("Belo Horizonte", "Brazil", "BR"),
                                                     ("Lisbon", "Portugal", "PT"), ("Berlin", "Germany", "DE"), ("London", "United Kingdom", "GB"),
                                                     ("New York", "United States", "US"), ("Curitiba", "Brazil", "BR"), ("Porto Alegre", "Brazil", "BR")]
    static let browsers = [Browser(name: "Chrome", version: "124.0.0.0", device: "Unknown", platform: "macOS", platformVersion: "10.15.7"),
                           Browser(name: "Chrome", version: "125.0.6422.113", device: "Unknown", platform: "Windows", platformVersion: "10"),
                           Browser(name: "Safari", version: "17.4.1", device: "iPhone", platform: "iOS", platformVersion: "17.4.1"),
                           Browser(name: "Firefox", version: "126.0", device: "Unknown", platform: "Linux", platformVersion: ""),
                           Browser(name: "Edge", version: "124.0.2478.80", device: "Unknown", platform: "Windows", platformVersion: "10"),
                           Browser(name: "Chrome Mobile", version: "124.0.6367.179", device: "Samsung SM-A546E", platform: "Android", platformVersion: "14"),
                           Browser(name: "Samsung Internet", version: "24.0", device: "Samsung SM-G991B", platform: "Android", platformVersion: "13")]
    static let inboxes = [Inbox(id: 3, name: "Acme Website", portuguese: false), Inbox(id: 4, name: "Acme Help Center", portuguese: false),
                          Inbox(id: 7, name: "Loja Acme Brasil", portuguese: true)]
    static let agents = [Agent(id: 2, name: "Sam Agent"), Agent(id: 6, name: "Fernanda Lima"), Agent(id: 9, name: "Rafael Costa"),
                         Agent(id: 11, name: "Priya Patel"), Agent(id: 14, name: "João Pedro Alves")]
    static let labels = ["delivery", "refund", "vip", "billing", "returns", "login", "pix", "damaged"]
    static let zones: [(Int, String)] = [(120, "Central European Summer Time"), (60, "British Summer Time"), (-240, "Eastern Daylight Time"),
                                         (-180, "Horário Padrão de Brasília"), (0, "Coordinated Universal Time"), (-420, "Pacific Daylight Time")]
    static let products = ["running-shoes", "wireless-earbuds", "coffee-grinder", "yoga-mat", "smart-watch", "backpack-25l", "cafeteira-italiana"]

    static let shortEN = ["hi", "hello", "Hi!", "ok", "thanks", "yes", "no", "help", "?", "thanks 🙏", "hey there", "cool", "great, thanks!"]
    static let shortPT = ["oi", "olá", "bom dia", "obrigado!", "sim", "não", "valeu", "tá bom", "boa tarde", "ok, obrigada 😊", "é isso"]
    static let sentencesEN = ["I need help with my order.", "Where is my package?", "My order has not arrived yet.",
                              "Can I change the delivery address?", "I was charged twice for the same order.",
                              "The tracking page says the parcel is stuck in customs since Monday.",
                              "I would like to return an item that arrived damaged.", "How long does a refund usually take?",
                              "Do you ship to Portugal?", "The discount code SUMMER24 does not work at checkout.",
                              "I can't log in to my account, the reset email never arrives.", "Is there a way to speak with a human?",
                              "The size M is too small, can I exchange it for an L?", "I never got the confirmation email.",
                              "Could you send me the invoice again?", "Why was my payment declined?", "It's been a week & still nothing.",
                              "The box was open when it arrived and one item is missing.", "Can I cancel before it ships?"]
    static let sentencesPT = ["Preciso de ajuda com o meu pedido.", "Meu pedido ainda não chegou, já faz uma semana.",
                              "Vocês entregam em São Paulo no mesmo dia?", "Gostaria de trocar o endereço de entrega.",
                              "Fui cobrado duas vezes pelo mesmo pedido, o que aconteceu?", "A nota fiscal não veio junto com a encomenda.",
                              "Qual é o prazo para devolução?", "Não consigo acessar minha conta, a senha não funciona.",
                              "Posso pagar com Pix ou só cartão de crédito?", "O produto chegou com defeito e a caixa estava amassada.",
                              "Obrigado pela atenção, até mais!", "Quero falar com um atendente, por favor.",
                              "O código de rastreio não atualiza desde terça-feira.", "Dá para parcelar em 3 vezes sem juros?",
                              "Comprei o tamanho errado, como faço a troca?", "Ainda não recebi o e-mail de confirmação."]
    static let botEN = ["Sure! What do you need help with?", "Thanks for reaching out! I'm the Acme assistant.",
                        "Refunds are processed within 5 to 7 business days after we receive the item.",
                        "Sorry, I did not understand that. Could you rephrase?", "You can change the address until the order ships.",
                        "Here is the link to start a return: https://www.acme.example/help/returns",
                        "Is there anything else I can help you with?"]
    static let botPT = ["Claro! Como posso ajudar?", "Obrigado pelo contato! Eu sou o assistente da Acme.",
                        "O reembolso é processado em até 7 dias úteis após recebermos o produto.",
                        "Desculpe, não entendi. Pode reformular?", "Você pode alterar o endereço até o pedido ser enviado.",
                        "Aqui está o link para iniciar a devolução: https://loja.acme.example/ajuda/devolucoes",
                        "Posso ajudar em algo mais?"]
    static let weekdaysEN = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"]
    static let weekdaysPT = ["segunda-feira", "terça-feira", "quarta-feira", "quinta-feira", "sexta-feira"]
    static let selectEN: [[(String, String)]] = [[("Track my order", "track_order"), ("Return an item", "return_item"), ("Talk to a human", "handoff")],
                                                 [("Yes", "yes"), ("No", "no")],
                                                 [("Delivery", "delivery"), ("Refund", "refund"), ("Billing", "billing"), ("Something else", "other")]]
    static let selectPT: [[(String, String)]] = [[("Rastrear meu pedido", "track_order"), ("Devolver um produto", "return_item"), ("Falar com atendente", "handoff")],
                                                 [("Sim", "yes"), ("Não", "no")],
                                                 [("Entrega", "delivery"), ("Reembolso", "refund"), ("Pagamento", "billing"), ("Outro assunto", "other")]]

    // MARK: Generation

    mutating func generate(count: Int, progress: ((Int) -> Void)? = nil) -> Corpus {
        var writer = JSONWriter(capacity: count * 2_800)
        var offsets = [0]
        offsets.reserveCapacity(count + 1)
        var streams: [String] = [], times: [Int64] = [], kinds: [UInt8] = [], outgoing: [Bool] = []
        streams.reserveCapacity(count); times.reserveCapacity(count); kinds.reserveCapacity(count); outgoing.reserveCapacity(count)
        var pool: [Conversation] = []
        let activeTarget = 300
        for i in 0..<count {
            clock += Int64(rng.exponential(mean: 1.25) * 1e6) + 1_000
            let index: Int
            if pool.count < activeTarget {
                pool.append(makeConversation())
                index = pool.count - 1
            } else {
                index = rng.below(pool.count)
            }
            let conversation = pool[index]
            let step = conversation.steps[conversation.position]
            conversation.position += 1
            let (kind, isOutgoing) = emit(step, conversation, into: &writer)
            offsets.append(writer.out.count)
            streams.append(step == .widget ? "1/contact-\(conversation.contact.id)" : "1/\(conversation.id)")
            times.append(clock)
            kinds.append(kind)
            outgoing.append(isOutgoing)
            if conversation.position == conversation.steps.count {
                pool.swapAt(index, pool.count - 1)
                pool.removeLast()
            }
            if i % 20_000 == 19_999 { progress?(i + 1) }
        }
        return Corpus(bytes: writer.out, offsets: offsets, streams: streams, times: times, kinds: kinds, outgoing: outgoing,
                      conversations: conversationsMade, contacts: contactsMade)
    }

    private mutating func token(_ alphabet: [Character], _ length: Int) -> String {
        String((0..<length).map { _ in alphabet[rng.below(alphabet.count)] })
    }

    private static let hexDigits = Array("0123456789abcdef")
    private static let base62 = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")

    private mutating func uuid() -> String {
        let h = token(Self.hexDigits, 32)
        let c = Array(h)
        let variant = ["8", "9", "a", "b"][rng.below(4)]
        return String(c[0..<8]) + "-" + String(c[8..<12]) + "-4" + String(c[13..<16]) + "-" + variant + String(c[17..<20]) + "-" + String(c[20..<32])
    }

    private static func asciiFold(_ s: String) -> String {
        let map: [Character: String] = ["á": "a", "à": "a", "â": "a", "ã": "a", "ä": "a", "é": "e", "ê": "e", "è": "e", "ë": "e",
                                        "í": "i", "ï": "i", "ó": "o", "ô": "o", "õ": "o", "ö": "o", "ú": "u", "ü": "u", "ç": "c",
                                        "ñ": "n", "'": ""]
        return s.lowercased().map { map[$0] ?? String($0) }.joined()
    }

    private mutating func makeContact(portuguese: Bool) -> Contact {
        if !recentContacts.isEmpty && rng.chance(0.1) {
            return rng.pick(recentContacts)   // a returning visitor
        }
        nextContactID += rng.range(1...3)
        contactsMade += 1
        var contact: Contact
        if rng.chance(0.25) {
            // Anonymous widget visitor: Chatwoot names them itself and has no email.
            let name = "\(rng.pick(Self.adjectives))-\(rng.pick(Self.nouns))-\(rng.range(10...999))"
            contact = Contact(id: nextContactID, name: name, firstName: name, email: nil, phone: nil, identifier: nil, city: nil, portuguese: portuguese)
        } else {
            let first = rng.pick(Self.firstNames), last = rng.pick(Self.lastNames)
            let name = rng.chance(0.15) ? first : "\(first) \(last)"
            let digits = rng.chance(0.4) ? String(rng.range(1...9999)) : ""
            let email = rng.chance(0.85) ? "\(Self.asciiFold(first)).\(Self.asciiFold(last))\(digits)@\(rng.pick(Self.domains))" : nil
            let phone = rng.chance(0.3) ? (portuguese ? "+55119\(rng.range(10_000_000...99_999_999))" : "+1415\(rng.range(1_000_000...9_999_999))") : nil
            let identifier = rng.chance(0.1) ? "cust_\(token(Self.base62, 10))" : nil
            let city = rng.chance(0.4) ? rng.pick(Self.cities) : nil
            contact = Contact(id: nextContactID, name: name, firstName: first, email: email, phone: phone, identifier: identifier, city: city, portuguese: portuguese)
        }
        recentContacts.append(contact)
        if recentContacts.count > 5_000 { recentContacts.removeFirst(1_000) }
        return contact
    }

    private mutating func makeConversation() -> Conversation {
        let inbox = rng.chance(0.3) ? Self.inboxes[2] : Self.inboxes[rng.below(2)]
        let portuguese = inbox.portuguese || rng.chance(0.05)
        let c = Conversation(contact: makeContact(portuguese: portuguese), inbox: inbox, browser: rng.pick(Self.browsers))
        nextConversationID += rng.chance(0.2) ? rng.range(2...4) : 1   // other inboxes take ids too
        conversationsMade += 1
        c.id = nextConversationID
        nextContactInboxID += 1
        c.contactInboxID = nextContactInboxID
        c.sourceID = uuid()
        c.pubsubToken = token(Self.base62, 24)
        c.language = portuguese ? "pt-BR" : (rng.chance(0.9) ? "en" : rng.pick(["es", "de", "fr"]))
        c.zone = portuguese ? Self.zones[3] : rng.pick(Self.zones)
        switch rng.below(6) {
        case 0: c.referer = "https://www.acme.example/"
        case 1: c.referer = "https://www.acme.example/products/\(rng.pick(Self.products))"
        case 2: c.referer = "https://loja.acme.example/pedidos/\(rng.range(100_000...999_999))"
        case 3: c.referer = "https://www.acme.example/checkout?step=payment&cart=\(token(Self.base62, 8))"
        case 4: c.referer = "https://www.acme.example/help/returns"
        default: c.referer = "https://www.acme.example/orders"
        }
        c.createdAt = clock
        c.waitingSince = clock
        c.lastActivity = clock
        c.updatedAt = clock
        c.priority = rng.chance(0.1) ? rng.pick(["low", "medium", "high", "urgent"]) : nil
        c.steps = script()
        return c
    }

    /// The webhooks one conversation produces, in order (~10 on average).
    private mutating func script() -> [Step] {
        var s: [Step] = []
        if rng.chance(0.45) { s.append(.widget) }
        let turns = 1 + min(6, Int(rng.exponential(mean: 1.6)))
        for turn in 0..<turns {
            s.append(.incoming)
            let r = rng.unit()
            if turn == 0 && r < 0.45 {
                s.append(.botSelect)
                if rng.chance(0.75) { s.append(.submitSelect) }
            } else if r < 0.6 && turn < 3 {
                s.append(.botForm)
                if rng.chance(0.6) { s.append(.submitForm) }
            } else {
                s.append(.botText)
            }
            if rng.chance(0.25) { s.append(.incoming) }
            if rng.chance(0.08) { s.append(.updated) }
        }
        if rng.chance(0.3) {
            s.append(.handoff)
            if rng.chance(0.7) { s.append(.statusOpen) }
            s.append(.opened)
            for _ in 0..<rng.range(1...3) {
                s.append(.agentReply)
                if rng.chance(0.6) { s.append(.incoming) }
            }
            if rng.chance(0.4) { s.append(.updated) }
        }
        if rng.chance(0.8) {
            if rng.chance(0.6) { s.append(.statusResolved) }
            s.append(.resolved)
        }
        return s
    }

    // MARK: Texts

    private mutating func orderNumber() -> String { "A-\(rng.range(10_000...99_999))" }

    private mutating func customerText(_ c: Conversation) -> String {
        let pt = c.contact.portuguese
        let r = rng.unit()
        if r < 0.25 { return rng.pick(pt ? Self.shortPT : Self.shortEN) }
        let count = r < 0.75 ? 1 : rng.range(2...5)
        var parts: [String] = []
        for _ in 0..<count { parts.append(rng.pick(pt ? Self.sentencesPT : Self.sentencesEN)) }
        if rng.chance(0.3) { parts.append(pt ? "Pedido \(orderNumber())." : "Order \(orderNumber()).") }
        return parts.joined(separator: " ")
    }

    private mutating func botText(_ c: Conversation) -> String {
        let pt = c.contact.portuguese
        switch rng.below(4) {
        case 0:
            return pt ? "Seu pedido \(orderNumber()) está a caminho e deve chegar até \(rng.pick(Self.weekdaysPT))."
                : "Your order \(orderNumber()) is on its way and should arrive by \(rng.pick(Self.weekdaysEN))."
        case 1:
            let tracking = pt ? "BR\(rng.range(100_000_000...999_999_999))BR" : "1Z\(token(Self.base62, 16).uppercased())"
            let date = TimeText.iso(clock - Int64(rng.range(1...5)) * 86_400_000_000).prefix(10)
            return pt ? "Encontrei seu pedido. Ele foi enviado em \(date) com o código de rastreio \(tracking)."
                : "I found your order. It was shipped on \(date) with tracking number \(tracking)."
        default:
            return rng.pick(pt ? Self.botPT : Self.botEN)
        }
    }

    private mutating func agentText(_ c: Conversation, _ agent: Agent) -> String {
        let pt = c.contact.portuguese
        let first = c.contact.firstName
        let agentFirst = agent.name.split(separator: " ").first.map(String.init) ?? agent.name
        var text = pt ? "Olá \(first), aqui é \(agentFirst) da Acme. Vou verificar isso para você."
            : "Hi \(first), this is \(agentFirst) from Acme. Let me check that for you."
        if rng.chance(0.5) {
            text += pt ? " Já abri um chamado com a transportadora e o reembolso de R$ \(rng.range(19...899)),\(rng.range(10...99)) foi aprovado; você recebe em até 5 dias úteis."
                : " I opened a ticket with the carrier and approved a refund of $\(rng.range(9...499)).\(rng.range(10...99)); it should reach your card within 5 business days."
        }
        if rng.chance(0.3) { text += pt ? " Obrigado pela paciência!" : " Thanks for your patience!" }
        return text
    }

    // MARK: Events

    private mutating func newMessage(_ c: Conversation, incoming: Bool, sender: Sender, content: String, contentType: String = "text", widget: Widget = .none) -> Message {
        nextMessageID += rng.chance(0.1) ? rng.range(2...5) : 1
        let m = Message(id: nextMessageID, content: content, contentType: contentType, incoming: incoming,
                        createdAt: clock, updatedAt: clock, sender: sender, widget: widget)
        c.last = m
        c.lastActivity = clock
        c.updatedAt = clock + Int64(rng.range(5_000...60_000))
        if incoming {
            c.unread += 1
        } else {
            c.unread = 0
            if c.firstReply == nil, case .agent = sender { c.firstReply = clock }
        }
        return m
    }

    /// Writes one webhook; returns its `eventNames` index and whether it is an outgoing message.
    private mutating func emit(_ step: Step, _ c: Conversation, into w: inout JSONWriter) -> (UInt8, Bool) {
        let pt = c.contact.portuguese
        switch step {
        case .widget:
            writeWidget(c, &w)
            return (6, false)
        case .incoming:
            let m = newMessage(c, incoming: true, sender: .contact, content: customerText(c))
            writeMessageEvent(c, m, event: "message_created", &w)
            return (0, false)
        case .botText:
            let m = newMessage(c, incoming: false, sender: .bot, content: botText(c))
            writeMessageEvent(c, m, event: "message_created", &w)
            return (0, true)
        case .botSelect:
            let items = pt ? rng.pick(Self.selectPT) : rng.pick(Self.selectEN)
            let m = newMessage(c, incoming: false, sender: .bot, content: pt ? "Claro! Como posso ajudar?" : "Sure! What do you need help with?",
                               contentType: "input_select", widget: .select(items))
            writeMessageEvent(c, m, event: "message_created", &w)
            return (0, true)
        case .botForm:
            let m = newMessage(c, incoming: false, sender: .bot,
                               content: pt ? "Por favor, informe alguns dados para eu localizar o seu pedido." : "Please share a few details so I can look up your order.",
                               contentType: "form", widget: .form)
            writeMessageEvent(c, m, event: "message_created", &w)
            return (0, true)
        case .submitSelect, .submitForm:
            guard var m = c.last, !m.incoming else {
                // The question scrolled away (another message came first): send a plain echo instead.
                let m = newMessage(c, incoming: false, sender: .bot, content: botText(c))
                writeMessageEvent(c, m, event: "message_created", &w)
                return (0, true)
            }
            switch m.widget {
            case .select(let items):
                let choice = rng.pick(items)
                m.submitted = [choice]
            case .form:
                let details = rng.chance(0.5) ? customerText(c) : ""
                m.submitted = [("email", c.contact.email ?? "visitor\(c.contact.id)@example.com"), ("order_number", orderNumber()),
                               ("topic", rng.pick(["delivery", "refund"])), ("details", details)]
            case .none:
                m.submitted = nil
            }
            m.updatedAt = clock
            c.last = m
            c.updatedAt = clock + Int64(rng.range(5_000...60_000))
            writeMessageEvent(c, m, event: "message_updated", &w)
            return (1, true)
        case .handoff:
            let m = newMessage(c, incoming: false, sender: .bot,
                               content: pt ? "Obrigado, vou transferir você para um atendente humano agora." : "Thanks, I am connecting you with a human agent now.")
            writeMessageEvent(c, m, event: "message_created", &w)
            return (0, true)
        case .agentReply:
            let agent = c.assignee ?? rng.pick(Self.agents)
            c.assignee = agent
            let m = newMessage(c, incoming: false, sender: .agent(agent), content: agentText(c, agent))
            writeMessageEvent(c, m, event: "message_created", &w)
            return (0, true)
        case .statusOpen, .opened:
            c.status = "open"
            if c.assignee == nil && rng.chance(0.5) { c.assignee = rng.pick(Self.agents) }
            c.updatedAt = clock
            writeConversationEvent(c, event: step == .opened ? "conversation_opened" : "conversation_status_changed", changes: nil, &w)
            return (step == .opened ? 3 : 2, false)
        case .statusResolved, .resolved:
            c.status = "resolved"
            c.waitingSince = 0
            c.updatedAt = clock
            if c.labels.isEmpty && rng.chance(0.5) { c.labels = [rng.pick(Self.labels)] }
            writeConversationEvent(c, event: step == .resolved ? "conversation_resolved" : "conversation_status_changed", changes: nil, &w)
            return (step == .resolved ? 4 : 2, false)
        case .updated:
            let before = c.updatedAt
            c.updatedAt = clock
            let change: (String, Change)
            switch rng.below(3) {
            case 0:
                let old = c.labels
                c.labels = Array(Set(c.labels + [rng.pick(Self.labels)])).sorted()
                change = ("label_list", .strings(old, c.labels))
            case 1:
                let old = c.priority
                c.priority = rng.pick(["low", "medium", "high", "urgent"])
                change = ("priority", .string(old, c.priority))
            default:
                let old = c.assignee?.id
                c.assignee = rng.pick(Self.agents)
                change = ("assignee_id", .int(old, c.assignee?.id))
            }
            writeConversationEvent(c, event: "conversation_updated", changes: [change, ("updated_at", .string(TimeText.iso(before), TimeText.iso(c.updatedAt)))], &w)
            return (5, false)
        }
    }

    enum Change { case string(String?, String?), strings([String], [String]), int(Int?, Int?) }

    // MARK: JSON shapes (key order as in Tests/Fixtures/chatwoot)

    private func writeAccount(_ w: inout JSONWriter) {
        w.object("account") { w in w.field("id", 1); w.field("name", "Acme Inc") }
    }

    private func writeContactAttributes(_ contact: Contact, _ w: inout JSONWriter) {
        if let city = contact.city {
            w.object("additional_attributes") { w in
                w.field("city", city.0); w.field("country", city.1); w.field("country_code", city.2)
            }
        } else {
            w.emptyObject("additional_attributes")
        }
    }

    /// The contact as `sender` of an incoming message_created, and as `contact` of webwidget_triggered.
    private func writeContactWithAccount(_ contact: Contact, _ w: inout JSONWriter) {
        writeAccount(&w)
        writeContactAttributes(contact, &w)
        w.field("avatar", "")
        w.emptyObject("custom_attributes")
        w.field("email", contact.email)
        w.field("id", contact.id)
        w.field("identifier", contact.identifier)
        w.field("name", contact.name)
        w.field("phone_number", contact.phone)
        w.field("thumbnail", "")
        w.field("blocked", false)
    }

    /// `meta.sender` and the `sender` of a nested incoming message.
    private func writeContactPush(_ contact: Contact, _ w: inout JSONWriter) {
        writeContactAttributes(contact, &w)
        w.emptyObject("custom_attributes")
        w.field("email", contact.email)
        w.field("id", contact.id)
        w.field("identifier", contact.identifier)
        w.field("name", contact.name)
        w.field("phone_number", contact.phone)
        w.field("thumbnail", "")
        w.field("blocked", false)
        w.field("type", "contact")
    }

    private func writeAgentPush(_ agent: Agent, _ w: inout JSONWriter) {
        w.field("id", agent.id)
        w.field("name", agent.name)
        w.field("available_name", agent.name)
        w.field("avatar_url", "")
        w.field("type", "user")
        w.field("availability_status", "online")
        w.field("thumbnail", "")
    }

    private func writeBrowser(_ c: Conversation, _ w: inout JSONWriter) {
        w.object("browser") { w in
            w.field("browser_name", c.browser.name)
            w.field("browser_version", c.browser.version)
            w.field("device_name", c.browser.device)
            w.field("platform_name", c.browser.platform)
            w.field("platform_version", c.browser.platformVersion)
        }
    }

    private func initiatedAt(_ c: Conversation) -> String {
        TimeText.javaScript(c.createdAt / 1_000_000, offsetMinutes: c.zone.0, zoneName: c.zone.1)
    }

    private func writeWidget(_ c: Conversation, _ w: inout JSONWriter) {
        w.beginObject()
        w.field("id", c.contactInboxID)
        w.object("contact") { w in writeContactWithAccount(c.contact, &w) }
        w.object("inbox") { w in w.field("id", c.inbox.id); w.field("name", c.inbox.name) }
        writeAccount(&w)
        w.nullField("current_conversation")
        w.field("source_id", c.sourceID)
        w.field("event", "webwidget_triggered")
        w.object("event_info") { w in
            w.object("initiated_at") { w in w.field("timestamp", initiatedAt(c)) }
            w.field("referer", c.referer)
            w.field("widget_language", c.language == "pt-BR" ? "pt_BR" : c.language)
            w.field("browser_language", c.language)
            writeBrowser(c, &w)
        }
        w.endObject()
    }

    private func writeContentAttributes(_ m: Message, incomingReply: Bool, _ w: inout JSONWriter) {
        switch m.widget {
        case .none:
            if incomingReply {
                w.object("content_attributes") { w in w.nullField("in_reply_to") }
            } else {
                w.emptyObject("content_attributes")
            }
        case .select(let items):
            w.object("content_attributes") { w in
                w.array("items") { w in
                    for (title, value) in items {
                        w.beginObject(); w.field("title", title); w.field("value", value); w.endObject()
                    }
                }
                if let submitted = m.submitted {
                    w.array("submitted_values") { w in
                        for (title, value) in submitted {
                            w.beginObject(); w.field("title", title); w.field("value", value); w.endObject()
                        }
                    }
                }
            }
        case .form:
            let pt = m.content.hasPrefix("Por favor")
            w.object("content_attributes") { w in
                w.array("items") { w in
                    w.beginObject()
                    w.field("name", "email"); w.field("label", "Email"); w.field("type", "email")
                    w.field("placeholder", "you@example.com"); w.field("required", true)
                    w.endObject()
                    w.beginObject()
                    w.field("name", "order_number"); w.field("label", pt ? "Número do pedido" : "Order number"); w.field("type", "text")
                    w.field("placeholder", "A-00000"); w.field("pattern", "^A-[0-9]{5}$")
                    w.field("pattern_error", pt ? "Use o formato A-12345" : "Use the format A-12345"); w.field("required", true)
                    w.endObject()
                    w.beginObject()
                    w.field("name", "topic"); w.field("label", pt ? "Assunto" : "Topic"); w.field("type", "select"); w.field("default", "delivery")
                    w.array("options") { w in
                        w.beginObject(); w.field("label", pt ? "Entrega" : "Delivery"); w.field("value", "delivery"); w.endObject()
                        w.beginObject(); w.field("label", pt ? "Reembolso" : "Refund"); w.field("value", "refund"); w.endObject()
                    }
                    w.endObject()
                    w.beginObject()
                    w.field("name", "details"); w.field("label", pt ? "Algo mais?" : "Anything else?"); w.field("type", "text_area")
                    w.field("placeholder", pt ? "Opcional" : "Optional")
                    w.endObject()
                }
                if let submitted = m.submitted {
                    w.array("submitted_values") { w in
                        for (name, value) in submitted {
                            w.beginObject(); w.field("name", name); w.field("value", value); w.endObject()
                        }
                    }
                }
            }
        }
    }

    /// An entry of `conversation.messages`.
    private func writeNestedMessage(_ c: Conversation, _ m: Message, _ w: inout JSONWriter) {
        w.beginObject()
        w.field("id", m.id)
        w.field("content", m.content)
        w.field("account_id", 1)
        w.field("inbox_id", c.inbox.id)
        w.field("conversation_id", c.id)
        w.field("message_type", m.incoming ? 0 : 1)
        w.field("created_at", Int(m.createdAt / 1_000_000))
        w.field("updated_at", TimeText.iso(m.updatedAt))
        w.field("private", false)
        w.field("status", "sent")
        w.nullField("source_id")
        w.field("content_type", m.contentType)
        writeContentAttributes(m, incomingReply: m.incoming, &w)
        switch m.sender {
        case .contact: w.field("sender_type", "Contact"); w.field("sender_id", c.contact.id)
        case .bot: w.field("sender_type", "AgentBot"); w.field("sender_id", 5)
        case .agent(let a): w.field("sender_type", "User"); w.field("sender_id", a.id)
        }
        w.emptyObject("external_source_ids")
        w.emptyObject("additional_attributes")
        w.field("processed_message_content", m.content)
        w.emptyObject("sentiment")
        w.object("conversation") { w in
            w.field("assignee_id", c.assignee?.id)
            w.field("unread_count", c.unread)
            w.field("last_activity_at", Int(c.lastActivity / 1_000_000))
            w.object("contact_inbox") { w in w.field("source_id", c.sourceID) }
        }
        w.object("sender") { w in
            switch m.sender {
            case .contact: writeContactPush(c.contact, &w)
            case .bot: w.field("id", 5); w.field("name", "Acme Assistant"); w.field("avatar_url", ""); w.field("type", "agent_bot")
            case .agent(let a): writeAgentPush(a, &w)
            }
        }
        w.endObject()
    }

    /// The fields of a conversation (the `conversation` of message events; the top level of conversation_* events).
    private func writeConversationFields(_ c: Conversation, _ w: inout JSONWriter) {
        w.object("additional_attributes") { w in
            w.field("browser_language", c.language)
            writeBrowser(c, &w)
            w.object("initiated_at") { w in w.field("timestamp", initiatedAt(c)) }
            w.field("referer", c.referer)
        }
        w.field("can_reply", true)
        w.field("channel", "Channel::WebWidget")
        w.object("contact_inbox") { w in
            w.field("id", c.contactInboxID)
            w.field("contact_id", c.contact.id)
            w.field("inbox_id", c.inbox.id)
            w.field("source_id", c.sourceID)
            w.field("created_at", TimeText.iso(c.createdAt - 2_000_000))
            w.field("updated_at", TimeText.iso(c.createdAt - 2_000_000))
            w.field("hmac_verified", false)
            w.field("pubsub_token", c.pubsubToken)
        }
        w.field("id", c.id)
        w.field("inbox_id", c.inbox.id)
        w.array("messages") { w in if let m = c.last { writeNestedMessage(c, m, &w) } }
        w.stringArray("labels", c.labels)
        w.object("meta") { w in
            w.object("sender") { w in writeContactPush(c.contact, &w) }
            if let a = c.assignee {
                w.object("assignee") { w in writeAgentPush(a, &w) }
                w.field("assignee_type", "User")
            } else {
                w.nullField("assignee")
                w.nullField("assignee_type")
            }
            w.nullField("team")
            w.field("hmac_verified", false)
        }
        w.field("status", c.status)
        w.emptyObject("custom_attributes")
        w.nullField("snoozed_until")
        w.field("unread_count", c.unread)
        w.field("first_reply_created_at", c.firstReply.map { Int($0 / 1_000_000) })
        w.field("priority", c.priority)
        w.field("waiting_since", Int(c.waitingSince / 1_000_000))
        w.field("agent_last_seen_at", 0)
        w.field("contact_last_seen_at", 0)
        w.field("last_activity_at", Int(c.lastActivity / 1_000_000))
        w.field("timestamp", Int(c.lastActivity / 1_000_000))
        w.field("created_at", Int(c.createdAt / 1_000_000))
        w.rawField("updated_at", TimeText.rubyFloat(c.updatedAt))
    }

    private func writeMessageEvent(_ c: Conversation, _ m: Message, event: String, _ w: inout JSONWriter) {
        w.beginObject()
        writeAccount(&w)
        w.emptyObject("additional_attributes")
        writeContentAttributes(m, incomingReply: m.incoming, &w)
        w.field("content_type", m.contentType)
        w.field("content", m.content)
        w.object("conversation") { w in writeConversationFields(c, &w) }
        w.field("created_at", TimeText.iso(m.createdAt))
        w.field("id", m.id)
        w.object("inbox") { w in w.field("id", c.inbox.id); w.field("name", c.inbox.name) }
        w.field("message_type", m.incoming ? "incoming" : "outgoing")
        w.field("private", false)
        w.object("sender") { w in
            switch m.sender {
            case .contact: writeContactWithAccount(c.contact, &w)
            case .bot: w.field("id", 5); w.field("name", "Acme Assistant"); w.field("type", "agent_bot")
            case .agent(let a): writeAgentPush(a, &w)
            }
        }
        w.nullField("source_id")
        w.field("event", event)
        w.endObject()
    }

    private func writeConversationEvent(_ c: Conversation, event: String, changes: [(String, Change)]?, _ w: inout JSONWriter) {
        w.beginObject()
        writeConversationFields(c, &w)
        w.field("event", event)
        if event == "conversation_status_changed" {
            w.nullField("changed_attributes")
        } else if let changes {
            w.array("changed_attributes") { w in
                for (name, change) in changes {
                    w.beginObject()
                    w.key(dynamic: name)
                    w.beginObject()
                    switch change {
                    case .string(let old, let new): w.field("previous_value", old); w.field("current_value", new)
                    case .int(let old, let new): w.field("previous_value", old); w.field("current_value", new)
                    case .strings(let old, let new): w.stringArray("previous_value", old); w.stringArray("current_value", new)
                    }
                    w.endObject()
                    w.endObject()
                }
            }
        }
        w.endObject()
    }
}
