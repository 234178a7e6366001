import Chatwoot

/// The fields of a message about to be stored; ids and times are added by the world.
struct MessageDraft: Sendable, Hashable {
    var messageType: MessageType
    var contentType: ContentType = .text
    var content: String?
    var contentAttributes: [String: JSONValue] = [:]
    var additionalAttributes: [String: JSONValue] = [:]
    var isPrivate = false
    var sourceId: String?
    var sender: SimulatedParticipant?
}
