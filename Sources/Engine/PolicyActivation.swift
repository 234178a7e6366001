import Chatwoot
import Foundation
import Policy

/// The body of a `policy.activated` event: which bot version decides from here on, with its
/// full text (and included files), so replay rebuilds exactly that version from the ledger.
public enum PolicyActivation {
    public static let stream = "policy"

    public static func encode(_ policy: Policy) throws -> [UInt8] {
        let body = JSONValue.object([
            "name": .string(policy.name), "version": .string(policy.version), "id": .string(policy.id),
            "sha256": .string(policy.contentHash), "source": .string(policy.source),
            "includes": .object(policy.includes.mapValues(JSONValue.string)),
        ])
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return [UInt8](try encoder.encode(body))
    }

    /// The recorded policy. - Throws: ``Policy/PolicyError`` or a decoding error.
    public static func decode(_ body: [UInt8]) throws -> Policy {
        let value = try JSONDecoder().decode(JSONValue.self, from: Data(body))
        guard let source = value["source"]?.stringValue else {
            throw PolicyError(issues: [PolicyIssue(file: "policy.activated", line: 0, column: 0, message: "the event has no policy source")])
        }
        let includes = (value["includes"]?.objectValue ?? [:]).compactMapValues(\.stringValue)
        return try PolicyLoader.load(recorded: source, includes: includes, file: "\(value["id"]?.stringValue ?? "recorded policy")")
    }
}
