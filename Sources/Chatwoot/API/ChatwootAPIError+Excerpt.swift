import Foundation
import JSONScan

extension ChatwootAPIError {
    /// A one-line, bounded summary of a Chatwoot error body.
    ///
    /// Chatwoot answers `{"error": "…"}` (auth, 404, message create), `{"message": "…",
    /// "attributes": […]}` (`RecordInvalid`), Devise's `{"errors": […]}`, or plain text (429 from
    /// rack-attack). Known JSON shapes are summarised; anything else is kept as text. The result
    /// is at most `limit` characters (plus `…`), with newlines flattened; `nil` for an empty body.
    static func excerpt(of body: some Collection<UInt8>, limit: Int) -> String? {
        guard !body.isEmpty else { return nil }
        let bytes = Array(body.prefix(64 * 1024))
        var text: String?
        if JSONScanner.isValid(bytes, maximumDepth: 16),
            let json = try? JSONDecoder().decode(JSONValue.self, from: Data(bytes))
        {
            text = summary(of: json)
        }
        let summaryText = text ?? String(decoding: bytes, as: UTF8.self)
        let flattened = summaryText.split(whereSeparator: \.isNewline).joined(separator: " ")
            .trimmingCharacters(in: .whitespaces)
        guard !flattened.isEmpty else { return nil }
        return flattened.count > limit ? String(flattened.prefix(limit)) + "…" : flattened
    }

    private static func summary(of json: JSONValue) -> String? {
        if let error = json["error"], let text = render(error) {
            return text
        }
        if let message = json["message"], let text = render(message) {
            guard let attributes = json["attributes"].flatMap(render), !attributes.isEmpty else { return text }
            return "\(text) (attributes: \(attributes))"
        }
        if let errors = json["errors"], let text = render(errors) {
            return text
        }
        return nil
    }

    private static func render(_ value: JSONValue) -> String? {
        switch value {
        case .array(let values): values.compactMap(render).joined(separator: ", ")
        case .object(let object):
            object.keys.sorted().compactMap { key in render(object[key]!).map { "\(key): \($0)" } }
                .joined(separator: ", ")
        case .null: nil
        default: value.scalarText
        }
    }
}
