import Chatwoot
import Foundation

// MARK: - The bot's connection, accounts and inboxes

extension ChatwootSimulator {
    /// Sets the bot's `outgoing_url`. `nil` stops deliveries (Chatwoot sends nothing to a blank URL).
    /// Deliveries already created keep the URL they were created with.
    public func connectBot(url: URL?) async {
        await store.update { world, _ in world.bot.outgoingURL = url }
    }

    /// Sets the webhook-signing secret; `nil` sends unsigned deliveries like Chatwoot before v4.13.
    public func setBotSecret(_ secret: String?) async {
        await store.update { world, _ in world.bot.secret = secret }
    }

    /// Connects or disconnects the bot from an inbox (the `AgentBotInbox` status), by default the
    /// first configured inbox.
    public func setBotActive(_ active: Bool, inboxId: Int? = nil) async throws {
        let inboxId = inboxId ?? configuration.inboxes.first?.id ?? 0
        try await store.mutate { world, _ throws(SimulatorError) in
            guard world.inboxes[inboxId] != nil else {
                throw SimulatorError(.unknownInbox, "There is no inbox \(inboxId)")
            }
            world.inboxes[inboxId]?.botActive = active
        }
    }

    /// Adds (or replaces) an account.
    public func addAccount(_ account: SimulatedAccount) async {
        await store.update { world, _ in world.accounts[account.id] = account }
    }

    /// Adds (or replaces) an inbox.
    /// - Throws: ``SimulatorError/Code/unknownAccount`` if its account does not exist.
    public func addInbox(_ inbox: SimulatedInbox) async throws {
        try await store.mutate { world, _ throws(SimulatorError) in
            guard world.accounts[inbox.accountId] != nil else {
                throw SimulatorError(.unknownAccount, "There is no account \(inbox.accountId); add it first")
            }
            world.inboxes[inbox.id] = inbox
        }
    }

    /// Adds (or replaces) a human agent.
    public func addAgent(_ agent: SimulatedAgent) async {
        await store.update { world, _ in world.agents[agent.id] = agent }
    }
}

// MARK: - Failure injection and outages

extension ChatwootSimulator {
    /// Makes the next `count` REST calls whose path contains `pathMatching` (and whose method is
    /// `method`, when given) fail with `failure`. Rules are consulted oldest first; an empty
    /// `pathMatching` matches every call.
    ///
    /// ```swift
    /// chatwoot.failNext(2, pathMatching: "/messages", with: .status(500))
    /// chatwoot.failNext(pathMatching: "/toggle_status", with: .timeout(.seconds(30)))
    /// ```
    public func failNext(
        _ count: Int = 1,
        pathMatching: String = "",
        method: String? = nil,
        with failure: InjectedFailure
    ) {
        failures.add(count: count, pathFragment: pathMatching, method: method, failure: failure)
    }

    /// Calls that injected failures will still affect.
    public var pendingFailureCount: Int { failures.pendingCount }

    /// Forgets every failure rule.
    public func clearFailures() {
        failures.removeAll()
    }

    /// Stops the HTTP server, as if Chatwoot went down: the port refuses connections, open
    /// connections are closed, and requests in progress get no answer. Webhooks keep flowing.
    /// Returns once the socket is closed.
    public func stopServer() async {
        await server.stop()
    }

    /// Starts the HTTP server again on the port it bound first; returns at once when it is running.
    /// - Returns: The base URL.
    /// - Throws: ``SimulatorError/Code/serverNotRunning`` if the port cannot be bound again.
    @discardableResult
    public func restartServer() async throws -> URL {
        let port = try await server.start()
        return URL(string: "http://\(configuration.host):\(port)")!
    }

    /// Whether the HTTP server is listening.
    public var isServerRunning: Bool { server.isRunning }
}
