import Chatwoot
import Testing

struct InMemoryChatwootAPITests {
    let address = ConversationAddress(accountId: 1, conversationId: 128)

    @Test func recordsCallsAndNumbersCreatedMessages() async throws {
        let api = InMemoryChatwootAPI(configuration: .init(firstMessageId: 100, botId: 5))
        var message = OutgoingMessage.text("Hello")
        message.echoId = "e1"
        let first = try await api.createMessage(message, in: address)
        let second = try await api.createMessage(.privateNote("note"), in: address)
        _ = try await api.toggleStatus(.open, in: address)
        #expect(first.id == 100 && second.id == 101)
        #expect(first.echoId == "e1")
        #expect(first.senderKind == .agentBot && first.sender?.id == 5)
        #expect(
            await api.calls == [
                .createMessage(message, address), .createMessage(.privateNote("note"), address),
                .toggleStatus(.open, address),
            ]
        )
    }

    @Test func queuedFailureIsThrownOnceByTheNextCall() async throws {
        let api = InMemoryChatwootAPI()
        await api.failNext(with: ChatwootAPIError(kind: .rateLimited, status: 429, endpoint: "POST /x"))
        let error = await #expect(throws: ChatwootAPIError.self) {
            try await api.togglePriority(.high, in: address)
        }
        #expect(error?.kind == .rateLimited)
        try await api.togglePriority(.high, in: address)
        #expect(await api.calls.count == 2)
    }
}
