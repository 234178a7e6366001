import Foundation
import Domain

extension ConversationState {
    /// The state as SQLite keeps it — the `conversation_states` table of ``ProjectionStore`` and
    /// a replay's ``ConversationSpill``: canonical JSON (keys sorted, slashes unescaped), the
    /// bytes `JSONEncoder` writes with those options, written as decisions are (``Domain/CanonicalBytes``).
    /// ``init(storedJSON:)`` reads it back equal to `self`.
    public func storedJSON() throws -> [UInt8] { try CanonicalBytes.encode(self) }

    /// Reads what ``storedJSON()`` wrote.
    public init(storedJSON bytes: [UInt8]) throws {
        self = try JSONDecoder().decode(ConversationState.self, from: Data(bytes))
    }
}
