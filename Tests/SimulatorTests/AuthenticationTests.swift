import AsyncHTTPClient
import Chatwoot
import Foundation
import NIOHTTP1
import Simulator
import Testing

/// Token checks and the endpoints a bot may call (docs/chatwoot-protocol.md §7.1, §7.5).
struct AuthenticationTests {
    @Test func unknownTokenGetsInvalidAccessToken() async throws {
        try await withHarness { harness in
            let address = try await harness.chatwoot.startConversation()
            let response = try await harness.call(
                .POST, Harness.path(address, "messages"), json: #"{"content":"hi"}"#,
                headers: [("api_access_token", "not-the-token")]
            )
            #expect(response.status == 401)
            #expect(response.body == ["error": "Invalid Access Token"])
            #expect(try await harness.chatwoot.transcript(of: address).isEmpty)
        }
    }

    @Test func missingTokenGetsDeviseError() async throws {
        try await withHarness { harness in
            let address = try await harness.chatwoot.startConversation()
            let response = try await harness.call(.POST, Harness.path(address, "messages"), json: "{}", headers: [])
            #expect(response.status == 401)
            #expect(response.body == ["errors": ["You need to sign in or sign up before continuing."]])
            let recorded = try #require(harness.chatwoot.requests.last)
            #expect(!recorded.hasAccessToken)
            #expect(recorded.responseStatus == 401)
        }
    }

    @Test func hyphenatedHeaderIsAccepted() async throws {
        try await withHarness { harness in
            let address = try await harness.chatwoot.startConversation()
            let response = try await harness.call(
                .POST, Harness.path(address, "messages"), json: #"{"content":"hi"}"#,
                headers: [("Api-Access-Token", harness.chatwoot.accessToken)]
            )
            #expect(response.status == 200)
            let recorded = try #require(harness.chatwoot.requests.last)
            #expect(recorded.accessTokenHeader == "Api-Access-Token")
            #expect(recorded.accessTokenValid)
        }
    }

    @Test(arguments: [
        ("GET", "/api/v1/accounts/1/conversations/128"),
        ("GET", "/api/v1/accounts/1/conversations/128/messages"),
        ("POST", "/api/v1/accounts/1/conversations/128/labels"),
        ("GET", "/api/v1/accounts/1/contacts"),
        ("GET", "/api/v1/accounts/1/contacts/search?q=jane"),
        ("PATCH", "/api/v1/accounts/1/contacts/42"),
        ("GET", "/api/v1/accounts/1/inboxes"),
        ("DELETE", "/api/v1/accounts/1/conversations/128/messages/9001"),
        ("POST", "/api/v1/accounts/1/conversations/128/unknown_action"),
        ("GET", "/api/v1/profile"),
    ])
    func endpointsOutsideTheBotListAreRefused(method: String, path: String) async throws {
        try await withHarness { harness in
            _ = try await harness.chatwoot.startConversation()
            let response = try await harness.call(HTTPMethod(rawValue: method), path, json: "{}")
            #expect(response.status == 401)
            #expect(response.body == ["error": "Access to this endpoint is not authorized for bots"])
        }
    }

    @Test func unknownConversationAndAccountAreNotFound() async throws {
        try await withHarness { harness in
            for path in ["/api/v1/accounts/1/conversations/999/messages", "/api/v1/accounts/77/conversations/128/messages"] {
                let response = try await harness.call(.POST, path, json: #"{"content":"hi"}"#)
                #expect(response.status == 404)
                #expect(response.body == ["error": "Resource could not be found"])
            }
        }
    }

    @Test func accountWithoutTheBotIsRefused() async throws {
        try await withHarness { harness in
            await harness.chatwoot.addAccount(SimulatedAccount(id: 2, name: "Other Inc"))
            try await harness.chatwoot.addInbox(SimulatedInbox(id: 9, accountId: 2, name: "Other", botActive: false))
            await harness.chatwoot.addAgent(SimulatedAgent(id: 20, accountId: 2, name: "Olga", email: "o@other.example"))
            let other = try await harness.chatwoot.startConversation(inboxId: 9)
            let response = try await harness.call(.POST, Harness.path(other, "messages"), json: #"{"content":"hi"}"#)
            #expect(response.status == 401)
            #expect(response.body == ["error": "Bot is not authorized to access this account"])

            // Connecting the bot to an inbox of that account grants access (§7.1).
            try await harness.chatwoot.setBotActive(true, inboxId: 9)
            let allowed = try await harness.call(.POST, Harness.path(other, "messages"), json: #"{"content":"hi"}"#)
            #expect(allowed.status == 200)
        }
    }

    @Test func malformedJSONIsABadRequest() async throws {
        try await withHarness { harness in
            let address = try await harness.chatwoot.startConversation()
            let response = try await harness.call(.POST, Harness.path(address, "messages"), json: #"{"content":"#)
            #expect(response.status == 400)
        }
    }

    @Test func httpClientErrorsMapToChatwootKinds() async throws {
        try await withHarness { harness in
            let address = try await harness.chatwoot.startConversation()
            await #expect(throws: ChatwootAPIError.self) {
                _ = try await harness.api(token: "wrong").createMessage(.text("hi"), in: address)
            }
            let error = await apiError {
                _ = try await harness.api.createMessage(.text("hi"), in: ConversationAddress(accountId: 1, conversationId: 4242))
            }
            #expect(error?.kind == .notFound)
            #expect(error?.status == 404)
        }
    }
}
