import Chatwoot
import Crypto
import Ledger
import Foundation
import Policy

/// The body of a `policy.activated` event: which bot version decides from here on, with its
/// full text (and included files), so replay rebuilds exactly that version from the ledger.
///
/// A version decides every input from `decides_from` on, which may lie *before* its activation
/// event: webhooks that ingest stored while no bot was deciding (before the first start, or
/// between a crash and the restart) are decided by the version that comes up next — unless a
/// pause (`policy.deactivated`) is in force, whose inputs stay unanswered. Replay needs that seq
/// to re-derive those decisions with the version that made them.
public enum PolicyActivation {
    public static let stream = "policy"

    /// - Parameter decidesFrom: the first input seq this version decides: past the projections'
    ///   checkpoint, the last input already decided, an earlier version's `decides_from` and, after
    ///   a pause, the ledger's head at start.
    public static func encode(_ policy: Policy, decidesFrom: Seq) throws -> [UInt8] {
        let body = JSONValue.object([
            "name": .string(policy.name), "version": .string(policy.version), "id": .string(policy.id),
            "sha256": .string(policy.contentHash), "source": .string(policy.source),
            "includes": .object(policy.includes.mapValues(JSONValue.string)),
            "decides_from": .int(Int(decidesFrom)),
        ])
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return [UInt8](try encoder.encode(body))
    }

    /// A recorded activation, read but not yet loaded (training the NLU is the costly part).
    public struct Record: Sendable {
        /// The first input seq the version decides; nil in ledgers recorded before it was
        /// written (the activation's own seq then, as those versions assumed).
        public var decidesFrom: Seq?
        var source: String
        var includes: [String: String]
        var id: String?

        /// - Throws: a decoding error, or ``Policy/PolicyError`` when the event names no source.
        public init(_ body: [UInt8]) throws {
            let value = try JSONDecoder().decode(JSONValue.self, from: Data(body))
            guard let source = value["source"]?.stringValue else {
                throw PolicyError(issues: [PolicyIssue(file: "policy.activated", line: 0, column: 0, message: "the event has no policy source")])
            }
            self.source = source
            includes = (value["includes"]?.objectValue ?? [:]).compactMapValues(\.stringValue)
            id = value["id"]?.stringValue
            decidesFrom = PolicyActivation.seq(value["decides_from"])
        }

        /// Names the policy's text and included files: two activations of one version share it.
        /// (Computed when asked: the start-up scan reads only ``decidesFrom``.)
        public var key: [UInt8] {
            // Each part with its length first, so no two different policies hash the same parts.
            var hash = SHA256()
            for part in [source] + includes.sorted(by: { $0.key < $1.key }).flatMap({ [$0.key, $0.value] }) {
                let bytes = Array(part.utf8)
                withUnsafeBytes(of: UInt64(bytes.count).littleEndian) { hash.update(bufferPointer: $0) }
                hash.update(data: bytes)
            }
            return Array(hash.finalize())
        }

        /// The recorded policy. - Throws: ``Policy/PolicyError``.
        public func load() throws -> Policy {
            try PolicyLoader.load(recorded: source, includes: includes, file: id ?? "recorded policy")
        }
    }

    /// The body of a `policy.deactivated` event: no version decides the inputs from `from` on.
    public static func encodeDeactivation(from: Seq) -> [UInt8] {
        Array("{\"from\":\(from)}".utf8)
    }

    /// The first input a `policy.deactivated` event leaves undecided (nil: unreadable, and then
    /// the event's own seq is meant).
    public static func deactivationFrom(_ body: [UInt8]) -> Seq? {
        guard let value = try? JSONDecoder().decode(JSONValue.self, from: Data(body)) else { return nil }
        return seq(value["from"])
    }

    /// A recorded seq: a positive integer, else nil (missing, negative, not a whole number).
    private static func seq(_ value: JSONValue?) -> Seq? {
        value?.intValue.flatMap { $0 > 0 ? Seq($0) : nil }
    }
}
