/// One field of a `form` message (docs/chatwoot-protocol.md §6). Renders only in the website widget, which
/// requires **every** field to be filled before it submits.
///
/// Absent optional fields are left out of the JSON; the validator accepts only the keys
/// `type placeholder label name options default required pattern title pattern_error`.
public struct FormItem: Sendable, Hashable {
    public var name: String
    public var label: String
    public var type: FormFieldType
    public var placeholder: String?
    public var required: Bool?
    /// A JavaScript regular expression the widget checks.
    public var pattern: String?
    public var patternError: String?
    public var title: String?
    public var defaultValue: String?
    /// For ``FormFieldType/select``.
    public var options: [FormOption]?

    public init(
        name: String,
        label: String,
        type: FormFieldType,
        placeholder: String? = nil,
        required: Bool? = nil,
        pattern: String? = nil,
        patternError: String? = nil,
        title: String? = nil,
        defaultValue: String? = nil,
        options: [FormOption]? = nil
    ) {
        self.name = name
        self.label = label
        self.type = type
        self.placeholder = placeholder
        self.required = required
        self.pattern = pattern
        self.patternError = patternError
        self.title = title
        self.defaultValue = defaultValue
        self.options = options
    }

    public var jsonValue: JSONValue {
        var object: [String: JSONValue] = [
            "name": .string(name), "label": .string(label), "type": .string(type.rawValue),
        ]
        if let placeholder { object["placeholder"] = .string(placeholder) }
        if let required { object["required"] = .bool(required) }
        if let pattern { object["pattern"] = .string(pattern) }
        if let patternError { object["pattern_error"] = .string(patternError) }
        if let title { object["title"] = .string(title) }
        if let defaultValue { object["default"] = .string(defaultValue) }
        if let options { object["options"] = .array(options.map(\.jsonValue)) }
        return .object(object)
    }
}

/// The input type of a ``FormItem``.
public enum FormFieldType: Sendable, Hashable {
    case text
    case email
    case textArea
    case select
    case other(String)

    public var rawValue: String {
        switch self {
        case .text: "text"
        case .email: "email"
        case .textArea: "text_area"
        case .select: "select"
        case .other(let value): value
        }
    }
}

/// A choice of a ``FormFieldType/select`` field: `{label, value}`.
public struct FormOption: Sendable, Hashable {
    public var label: String
    public var value: String

    public init(label: String, value: String) {
        self.label = label
        self.value = value
    }

    public var jsonValue: JSONValue {
        ["label": .string(label), "value": .string(value)]
    }
}
