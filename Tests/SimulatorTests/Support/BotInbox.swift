import Chatwoot
import Foundation

/// A webhook the test bot received.
struct ReceivedWebhook: Sendable {
    let deliveryId: String?
    let timestamp: String?
    let signature: String?
    let contentType: String?
    let accept: String?
    let body: Data

    var json: JSONValue { (try? JSONDecoder().decode(JSONValue.self, from: body)) ?? .null }
    var event: String? { json["event"]?.stringValue }
}

/// What the test bot answers: a status, optionally after a delay (to provoke delivery timeouts).
struct BotAnswer: Sendable {
    var status: Int
    var delay: Duration?

    static let ok = BotAnswer(status: 200, delay: nil)
    static func status(_ status: Int) -> BotAnswer { BotAnswer(status: status, delay: nil) }
}

/// Everything the test bot received, and the answers it will give (200 once the script runs out).
actor BotInbox {
    private(set) var received: [ReceivedWebhook] = []
    private var script: [BotAnswer] = []
    private var scriptForEvent: [String: [BotAnswer]] = [:]

    /// Answers the next webhooks with `answers`, in order, whatever their event.
    func answerNext(_ answers: BotAnswer...) {
        script += answers
    }

    /// Answers the next webhooks of `event` with `answers`, in order.
    func answerNext(_ event: String, with answers: BotAnswer...) {
        scriptForEvent[event, default: []] += answers
    }

    func receive(_ webhook: ReceivedWebhook) -> BotAnswer {
        received.append(webhook)
        if let event = webhook.event, var answers = scriptForEvent[event], !answers.isEmpty {
            let answer = answers.removeFirst()
            scriptForEvent[event] = answers
            return answer
        }
        return script.isEmpty ? .ok : script.removeFirst()
    }

    func events() -> [String] { received.compactMap(\.event) }
}
