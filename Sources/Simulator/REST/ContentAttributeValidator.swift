import Chatwoot

/// Chatwoot's `ContentAttributeValidator` (docs/chatwoot-protocol.md §6): interactive messages need at least one
/// item, and item keys must come from a fixed list.
///
/// Messages are the Rails `errors.full_messages` of the `content_attributes` attribute, for example
/// `"Content attributes contains invalid keys for items : [:foo]"`; the caller prefixes
/// `"Validation failed: "`.
enum ContentAttributeValidator {
    static let selectItemKeys = ["title", "value"]
    static let cardItemKeys = ["title", "description", "media_url", "actions"]
    static let cardActionKeys = ["text", "type", "payload", "uri"]
    static let formItemKeys = [
        "type", "placeholder", "label", "name", "options", "default", "required", "pattern", "title", "pattern_error",
    ]
    static let articleItemKeys = ["title", "description", "link"]

    /// The validation errors for a message of `contentType` whose items are `items` (`nil` when
    /// `content_attributes.items` is absent). Empty when the message is valid.
    static func errors(contentType: ContentType, items: [ItemShape]?) -> [String] {
        let allowed: [String]
        switch contentType {
        case .inputSelect: allowed = selectItemKeys
        case .cards: allowed = cardItemKeys
        case .form: allowed = formItemKeys
        case .article: allowed = articleItemKeys
        default: return []
        }
        var errors: [String] = []
        let items = items ?? []
        if items.isEmpty {
            errors.append("Content attributes At least one item is required.")
        }
        let invalid = items.flatMap { $0.keys ?? [] }.filter { !allowed.contains($0) }
        if !invalid.isEmpty {
            errors.append("Content attributes contains invalid keys for items : \(rubyInspect(invalid))")
        }
        if contentType == .cards, !items.isEmpty {
            if items.contains(where: \.actionsBlank) {
                errors.append("Content attributes contains items missing actions")
            } else {
                let actionKeys = items.flatMap { ($0.actionKeys ?? []).flatMap { $0 ?? [] } }
                let invalidActions = actionKeys.filter { !cardActionKeys.contains($0) }
                if !invalidActions.isEmpty {
                    // Two spaces, as in Chatwoot's message.
                    errors.append("Content attributes contains invalid keys for actions:  \(rubyInspect(invalidActions))")
                }
            }
        }
        return errors
    }

    /// Ruby's `Array#inspect` of symbols: `[:foo, :"bad-key"]`.
    static func rubyInspect(_ keys: [String]) -> String {
        "[" + keys.map(symbolInspect).joined(separator: ", ") + "]"
    }

    private static func symbolInspect(_ key: String) -> String {
        let scalars = Array(key.unicodeScalars)
        func isLetter(_ scalar: Unicode.Scalar) -> Bool { scalar == "_" || ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar) }
        let isIdentifier =
            !scalars.isEmpty && isLetter(scalars[0])
            && scalars.dropFirst().allSatisfy { isLetter($0) || ("0"..."9").contains($0) }
        if isIdentifier { return ":" + key }
        let escaped = key.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
        return ":\"" + escaped + "\""
    }
}
