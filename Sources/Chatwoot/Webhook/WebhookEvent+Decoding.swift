import Foundation
import JSONScan

extension WebhookEvent {
    /// The default for `maximumNestingDepth`. Chatwoot payloads nest about 8 levels; free-form
    /// attribute hashes add a few more.
    public static let defaultMaximumNestingDepth = 64

    /// Decodes a raw webhook body.
    ///
    /// Never traps, whatever the bytes. Unknown `event` names give ``unknown(_:)``; unknown keys
    /// are ignored; missing, `null` or mistyped fields become `nil`.
    ///
    /// - Parameters:
    ///   - data: The exact request body.
    ///   - maximumNestingDepth: Bodies whose arrays/objects nest deeper are rejected before
    ///     parsing, which keeps the recursive parser far from the stack limit.
    /// - Throws: ``WebhookDecodingError``: ``WebhookDecodingError/Code/emptyBody``,
    ///   ``WebhookDecodingError/Code/invalidUTF8``, ``WebhookDecodingError/Code/tooDeeplyNested``,
    ///   ``WebhookDecodingError/Code/malformedJSON``,
    ///   ``WebhookDecodingError/Code/notAnObject`` or ``WebhookDecodingError/Code/missingEventName``.
    public static func decode(
        from data: Data,
        maximumNestingDepth: Int = defaultMaximumNestingDepth
    ) throws(WebhookDecodingError) -> WebhookEvent {
        if data.allSatisfy({ [0x20, 0x09, 0x0A, 0x0D].contains($0) }) {
            throw WebhookDecodingError(.emptyBody, "The body is empty")
        }
        // Foundation checks a string's UTF-8 only when that string is decoded, and lenient field
        // decoding would turn the failure into a silently missing field. Check the whole body.
        guard Self.isValidUTF8(data) else {
            throw WebhookDecodingError(.invalidUTF8, "The body is not valid UTF-8")
        }
        // One strict pass first: it bounds nesting before Foundation's recursive parser runs, and
        // rejects what RFC 8259 rejects (Foundation alone would accept a trailing comma).
        let scanError: JSONScanner.Error? = data.withUnsafeBytes { bytes in
            do { try JSONScanner.validate(bytes, maximumDepth: maximumNestingDepth) } catch let error as JSONScanner.Error { return error } catch { return nil }
            return nil
        }
        if let scanError {
            if scanError.kind == .tooDeep {
                throw WebhookDecodingError(.tooDeeplyNested, "Arrays or objects nest deeper than \(maximumNestingDepth) levels")
            }
            throw WebhookDecodingError(.malformedJSON, "The body is not valid JSON (\(scanError.reason) at byte \(scanError.offset))")
        }
        do {
            return try JSONDecoder().decode(WebhookEvent.self, from: data)
        } catch let error as WebhookDecodingError {
            throw error
        } catch DecodingError.typeMismatch(_, let context) where context.codingPath.isEmpty {
            throw WebhookDecodingError(.notAnObject, "The top-level JSON value is not an object")
        } catch DecodingError.valueNotFound(_, let context) where context.codingPath.isEmpty {
            throw WebhookDecodingError(.notAnObject, "The top-level JSON value is null")
        } catch {
            throw WebhookDecodingError(.malformedJSON, Self.describe(error))
        }
    }

    private static func isValidUTF8(_ data: Data) -> Bool {
        var iterator = data.makeIterator()
        var decoder = UTF8()
        while true {
            switch decoder.decode(&iterator) {
            case .scalarValue: continue
            case .emptyInput: return true
            case .error: return false
            }
        }
    }

    /// A short reason from a decoder error, without the offending bytes' surroundings.
    private static func describe(_ error: any Error) -> String {
        guard case DecodingError.dataCorrupted(let context) = error else {
            return "The body is not valid JSON"
        }
        if let underlying = context.underlyingError as NSError?,
            let detail = underlying.userInfo[NSDebugDescriptionErrorKey] as? String
        {
            return detail
        }
        return context.debugDescription
    }
}
