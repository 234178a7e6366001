import Chatwoot
import Foundation

// What the "Chatwoot" side saw and stores.
extension ChatwootSimulator {
    /// The conversation as stored now.
    public func conversation(_ address: ConversationAddress) async throws -> SimulatedConversation {
        try await store.read { world throws(SimulatorError) in try world.existingConversation(address) }
    }

    /// Every message of the conversation, oldest first, including activity messages and private notes.
    public func transcript(of address: ConversationAddress) async throws -> [SimulatedMessage] {
        try await store.read { world throws(SimulatorError) in
            world.transcript(ofConversation: try world.existingConversation(address).id)
        }
    }

    /// One message by its global id.
    public func message(_ id: Int) async throws -> SimulatedMessage {
        try await store.read { world throws(SimulatorError) in
            guard let message = world.messages[id] else {
                throw SimulatorError(.unknownMessage, "There is no message \(id)")
            }
            return message
        }
    }

    /// One contact by id.
    public func contact(_ id: Int) async throws -> SimulatedContact {
        try await store.read { world throws(SimulatorError) in
            guard let contact = world.contacts[id] else {
                throw SimulatorError(.unknownContact, "There is no contact \(id)")
            }
            return contact
        }
    }

    /// Every REST call received so far, in arrival order (tokens are not kept).
    public var requests: [RecordedRequest] { requestLog.all }

    /// Every webhook delivery created so far, in creation order, with its attempts.
    public var deliveries: [WebhookDelivery] { queue.deliveries }

    /// Returns when every delivery created so far has been answered or has failed, including
    /// scheduled retries and the deliveries that failure handling caused.
    ///
    /// A bot that answers at once and works asynchronously may still be working afterwards; wait
    /// for its effects with ``waitUntil(timeout:_:)``.
    public func waitForDeliveries() async {
        await queue.waitUntilIdle()
    }

    /// Re-evaluates `condition` after every observable change (REST call, delivery attempt, state
    /// change) until it is `true`.
    ///
    /// ```swift
    /// try await chatwoot.waitUntil { try await $0.transcript(of: conversation).count >= 2 }
    /// ```
    /// - Throws: ``SimulatorError/Code/timedOut`` after `timeout`, or what `condition` throws.
    public func waitUntil(
        timeout: Duration = .seconds(30),
        _ condition: @escaping @Sendable (ChatwootSimulator) async throws -> Bool
    ) async throws {
        let met = try await withThrowingTaskGroup(of: Bool.self) { group in
            group.addTask {
                while true {
                    let version = self.signal.version
                    if try await condition(self) { return true }
                    try Task.checkCancellation()
                    await self.signal.wait(after: version)
                }
            }
            group.addTask {
                // A deadline, not a pause: the condition task normally wins long before.
                try await Task.sleep(for: timeout)
                return false
            }
            defer { group.cancelAll() }
            return try await group.next() ?? false
        }
        guard met else {
            throw SimulatorError(.timedOut, "The condition was not met within \(timeout)")
        }
    }
}
