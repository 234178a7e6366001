import AsyncHTTPClient
import Chatwoot
import Foundation
import NIOCore
import NIOHTTP1
import Simulator

/// The `ChatwootAPIError` thrown by `body`, or `nil` when it succeeds.
func apiError(_ body: () async throws -> Void) async -> ChatwootAPIError? {
    do {
        try await body()
        return nil
    } catch let error as ChatwootAPIError {
        return error
    } catch {
        return ChatwootAPIError(kind: .invalidResponse, endpoint: "unexpected \(error)")
    }
}

/// A running simulator, a test bot connected to it, and REST clients pointed at the simulator.
struct Harness: Sendable {
    let chatwoot: ChatwootSimulator
    let bot: BotInbox
    let botURL: URL
    /// The bot's REST client, with the right token.
    let api: HTTPChatwootAPI
    let httpClient: HTTPClient

    /// The bot's REST client with another token or configuration.
    func api(token: String? = nil, configuration: HTTPChatwootAPI.Configuration = .init()) -> HTTPChatwootAPI {
        HTTPChatwootAPI(
            httpClient: httpClient,
            baseURL: chatwoot.baseURL,
            accessToken: token ?? chatwoot.accessToken,
            configuration: configuration
        )
    }

    /// A raw call to the simulator; `headers` replace the default token header.
    func call(
        _ method: HTTPMethod,
        _ path: String,
        json: String? = nil,
        headers: [(String, String)]? = nil
    ) async throws -> (status: Int, body: JSONValue?, text: String) {
        var request = HTTPClientRequest(url: chatwoot.baseURL.absoluteString + path)
        request.method = method
        for (name, value) in headers ?? [("api_access_token", chatwoot.accessToken)] {
            request.headers.add(name: name, value: value)
        }
        if let json {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: json))
        }
        let response = try await httpClient.execute(request, timeout: .seconds(10))
        let bytes = try await response.body.collect(upTo: 1 << 22)
        let data = Data(bytes.readableBytesView)
        return (
            Int(response.status.code),
            try? JSONDecoder().decode(JSONValue.self, from: data),
            String(decoding: data, as: UTF8.self)
        )
    }

    /// The deliveries of `event`, in creation order.
    func deliveries(_ event: String) -> [WebhookDelivery] {
        chatwoot.deliveries.filter { $0.event == event }
    }

    /// The REST path of a conversation endpoint.
    static func path(_ address: ConversationAddress, _ action: String? = nil) -> String {
        "/api/v1/accounts/\(address.accountId)/conversations/\(address.conversationId)" + (action.map { "/" + $0 } ?? "")
    }
}

extension SimulatorConfiguration {
    /// Defaults with a short retry delay, so retry tests run quickly.
    static var testing: SimulatorConfiguration {
        var configuration = SimulatorConfiguration()
        configuration.delivery.retryDelay = .milliseconds(20)
        return configuration
    }
}

/// Runs a test bot and a simulator that delivers to it.
func withHarness(
    _ configuration: SimulatorConfiguration = .testing,
    _ body: @Sendable (Harness) async throws -> Void
) async throws {
    try await TestBot.run { botURL, inbox in
        let httpClient = HTTPClient(
            eventLoopGroup: HTTPClient.defaultEventLoopGroup,
            configuration: ChatwootSimulator.httpClientConfiguration
        )
        do {
            try await ChatwootSimulator.withRunning(configuration: configuration, httpClient: httpClient) { chatwoot in
                await chatwoot.connectBot(url: botURL)
                let api = HTTPChatwootAPI(
                    httpClient: httpClient,
                    baseURL: chatwoot.baseURL,
                    accessToken: chatwoot.accessToken
                )
                try await body(
                    Harness(chatwoot: chatwoot, bot: inbox, botURL: botURL, api: api, httpClient: httpClient)
                )
            }
            try await httpClient.shutdown()
        } catch {
            try await httpClient.shutdown()
            throw error
        }
    }
}
