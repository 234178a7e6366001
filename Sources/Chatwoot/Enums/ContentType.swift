/// `content_type` of a message (docs/chatwoot-protocol.md §5, §6).
public enum ContentType: ChatwootEnum {
    case text
    case inputText
    case inputTextarea
    case inputEmail
    case inputSelect
    case cards
    case form
    case article
    case incomingEmail
    case inputCSAT
    case integrations
    case sticker
    case voiceCall
    /// A value this version of the module does not know, kept verbatim.
    case other(String)

    public init(rawValue: String) {
        switch rawValue {
        case "text": self = .text
        case "input_text": self = .inputText
        case "input_textarea": self = .inputTextarea
        case "input_email": self = .inputEmail
        case "input_select": self = .inputSelect
        case "cards": self = .cards
        case "form": self = .form
        case "article": self = .article
        case "incoming_email": self = .incomingEmail
        case "input_csat": self = .inputCSAT
        case "integrations": self = .integrations
        case "sticker": self = .sticker
        case "voice_call": self = .voiceCall
        default: self = .other(rawValue)
        }
    }

    public var rawValue: String {
        switch self {
        case .text: "text"
        case .inputText: "input_text"
        case .inputTextarea: "input_textarea"
        case .inputEmail: "input_email"
        case .inputSelect: "input_select"
        case .cards: "cards"
        case .form: "form"
        case .article: "article"
        case .incomingEmail: "incoming_email"
        case .inputCSAT: "input_csat"
        case .integrations: "integrations"
        case .sticker: "sticker"
        case .voiceCall: "voice_call"
        case .other(let value): value
        }
    }

    public static func fromCode(_ code: Int) -> Self? {
        switch code {
        case 0: .text
        case 1: .inputText
        case 2: .inputTextarea
        case 3: .inputEmail
        case 4: .inputSelect
        case 5: .cards
        case 6: .form
        case 7: .article
        case 8: .incomingEmail
        case 9: .inputCSAT
        case 10: .integrations
        case 11: .sticker
        case 12: .voiceCall
        default: nil
        }
    }
}
