import Testing

@testable import Simulator

/// The bot-accessible endpoint list (docs/chatwoot-protocol.md §7.1).
struct BotRouteTests {
    @Test func allowedEndpointsAreRecognised() {
        let base = "/api/v1/accounts/1/conversations"
        #expect(BotRoute(method: "POST", path: base)?.action == .createConversation)
        #expect(BotRoute(method: "POST", path: base + "/128/messages")?.action == .createMessage)
        #expect(BotRoute(method: "POST", path: base + "/128/toggle_status")?.action == .toggleStatus)
        #expect(BotRoute(method: "POST", path: base + "/128/toggle_priority")?.action == .togglePriority)
        #expect(BotRoute(method: "POST", path: base + "/128/custom_attributes")?.action == .customAttributes)
        #expect(BotRoute(method: "POST", path: base + "/128/assignments")?.action == .assignments)
        #expect(BotRoute(method: "POST", path: base + "/128/toggle_typing_status")?.action == .toggleTypingStatus)
        #expect(BotRoute(method: "PATCH", path: base + "/128")?.action == .updateConversation)
        #expect(BotRoute(method: "PUT", path: base + "/128/")?.conversationId == "128")
    }

    @Test func everythingElseHasNoRoute() {
        let base = "/api/v1/accounts/1/conversations"
        #expect(BotRoute(method: "GET", path: base + "/128") == nil)
        #expect(BotRoute(method: "GET", path: base + "/128/messages") == nil)
        #expect(BotRoute(method: "POST", path: base + "/128/labels") == nil)
        #expect(BotRoute(method: "DELETE", path: base + "/128") == nil)
        #expect(BotRoute(method: "POST", path: "/api/v1/accounts/1/contacts") == nil)
        #expect(BotRoute(method: "POST", path: "/api/v2/accounts/1/conversations/1/messages") == nil)
    }
}
