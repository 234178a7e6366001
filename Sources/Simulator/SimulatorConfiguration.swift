import Foundation

/// What the simulated Chatwoot looks like and how it behaves. The defaults match the fixtures in
/// `Tests/Fixtures/chatwoot`: account 1 "Acme Inc", website inbox 3 "Acme Website" with the bot
/// connected, bot 5 "Acme Assistant", agent 2 "Sam Agent".
public struct SimulatorConfiguration: Sendable {
    /// The address the REST server binds to.
    public var host: String
    /// `0` picks a free port; a restart reuses the port first bound.
    public var port: Int
    /// The first account is the bot's own.
    public var accounts: [SimulatedAccount]
    /// The first inbox is where scripted visitors arrive unless told otherwise.
    public var inboxes: [SimulatedInbox]
    public var bot: SimulatedBot
    /// The first agent acts for `agent…` scripting calls unless told otherwise.
    public var agents: [SimulatedAgent]
    public var teams: [SimulatedTeam]
    public var delivery: DeliveryConfiguration
    /// `CONVERSATION_MESSAGE_PER_MINUTE_LIMIT` (§7.5); `nil` turns the flood guard off.
    public var messageFloodLimit: Int?
    /// Largest accepted REST body.
    public var bodyLimit: Int
    /// The simulator's clock: message and conversation times, signature timestamps.
    public var now: @Sendable () -> Date
    /// Makes `X-Chatwoot-Delivery` ids and widget visitor ids.
    public var makeUUID: @Sendable () -> UUID

    public init(
        host: String = "127.0.0.1",
        port: Int = 0,
        accounts: [SimulatedAccount] = [SimulatedAccount(id: 1, name: "Acme Inc")],
        inboxes: [SimulatedInbox] = [SimulatedInbox(id: 3, accountId: 1, name: "Acme Website")],
        bot: SimulatedBot = SimulatedBot(
            id: 5,
            accountId: 1,
            name: "Acme Assistant",
            accessToken: SimulatorConfiguration.defaultAccessToken
        ),
        agents: [SimulatedAgent] = [SimulatedAgent(id: 2, accountId: 1, name: "Sam Agent", email: "sam@acme.example")],
        teams: [SimulatedTeam] = [SimulatedTeam(id: 1, accountId: 1, name: "Support")],
        delivery: DeliveryConfiguration = DeliveryConfiguration(),
        messageFloodLimit: Int? = 200,
        bodyLimit: Int = 4 << 20,
        now: @escaping @Sendable () -> Date = { Date() },
        makeUUID: @escaping @Sendable () -> UUID = { UUID() }
    ) {
        self.host = host
        self.port = port
        self.accounts = accounts
        self.inboxes = inboxes
        self.bot = bot
        self.agents = agents
        self.teams = teams
        self.delivery = delivery
        self.messageFloodLimit = messageFloodLimit
        self.bodyLimit = bodyLimit
        self.now = now
        self.makeUUID = makeUUID
    }

    /// The default bot access token (24 characters, like Rails' `has_secure_token`).
    public static let defaultAccessToken = "SimulatorBotAccessToken1"
}
