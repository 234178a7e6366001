import Foundation

/// The arguments of one delivery job: fixed when the event happens, like Chatwoot's
/// `AgentBots::WebhookJob` arguments (URL, payload, secret, delivery id).
struct DeliveryJob: Sendable {
    var sequence: Int
    var deliveryId: UUID
    var event: String
    var body: Data
    var url: URL
    var secret: String?
    var messageId: Int?
}
