import Chatwoot
import Foundation

/// Everything the simulated Chatwoot stores, and the rules that change it.
///
/// A pure value: no clock, no I/O. Every mutation takes `now`; the webhooks it causes are collected
/// in ``dispatches`` (in the order Chatwoot dispatches them) for the caller to deliver, via
/// ``drainDispatches()``. Ids start at the values used in `Tests/Fixtures/chatwoot` (contact 42,
/// contact inbox 57, conversation display id 128, message 9001) so transcripts read like the fixtures.
struct SimulatorWorld: Sendable {
    var accounts: [Int: SimulatedAccount] = [:]
    var inboxes: [Int: SimulatedInbox] = [:]
    var bot: SimulatedBot
    var agents: [Int: SimulatedAgent] = [:]
    var teams: [Int: SimulatedTeam] = [:]
    var contacts: [Int: SimulatedContact] = [:]
    var contactInboxes: [Int: SimulatedContactInbox] = [:]
    /// Widget browser details per contact inbox.
    var browsers: [Int: VisitorBrowser] = [:]
    /// By database id.
    var conversations: [Int: SimulatedConversation] = [:]
    var messages: [Int: SimulatedMessage] = [:]
    /// Message ids per conversation database id, oldest first.
    var messageIds: [Int: [Int]] = [:]
    /// At most this many messages per conversation and minute are accepted over REST (§7.5).
    var messageFloodLimit: Int?

    private(set) var dispatches: [WebhookDispatch] = []

    private var nextContactId = 42
    private var nextContactInboxId = 57
    private var nextConversationId = 1
    private var nextDisplayId: [Int: Int] = [:]
    private var nextMessageId = 9001

    init(
        accounts: [SimulatedAccount],
        inboxes: [SimulatedInbox],
        bot: SimulatedBot,
        agents: [SimulatedAgent],
        teams: [SimulatedTeam],
        messageFloodLimit: Int?
    ) {
        self.bot = bot
        self.messageFloodLimit = messageFloodLimit
        for account in accounts { self.accounts[account.id] = account }
        for inbox in inboxes { self.inboxes[inbox.id] = inbox }
        for agent in agents { self.agents[agent.id] = agent }
        for team in teams { self.teams[team.id] = team }
    }

    // MARK: - Dispatches

    /// Returns the webhooks collected since the last call, oldest first, and forgets them.
    mutating func drainDispatches() -> [WebhookDispatch] {
        defer { dispatches.removeAll() }
        return dispatches
    }

    mutating func emit(_ dispatch: WebhookDispatch) {
        dispatches.append(dispatch)
    }

    // MARK: - Ids

    mutating func allocateContactId() -> Int {
        defer { nextContactId += 1 }
        return nextContactId
    }

    mutating func allocateContactInboxId() -> Int {
        defer { nextContactInboxId += 1 }
        return nextContactInboxId
    }

    /// A database id and the next display id of `accountId`.
    mutating func allocateConversationIds(accountId: Int) -> (id: Int, displayId: Int) {
        let id = nextConversationId
        nextConversationId += 1
        let displayId = nextDisplayId[accountId, default: 128]
        nextDisplayId[accountId] = displayId + 1
        return (id, displayId)
    }

    mutating func allocateMessageId() -> Int {
        defer { nextMessageId += 1 }
        return nextMessageId
    }

    // MARK: - Lookup

    func conversation(at address: ConversationAddress) -> SimulatedConversation? {
        conversations.values.first { $0.accountId == address.accountId && $0.displayId == address.conversationId }
    }

    /// The conversation's messages, oldest first (activity and private ones included).
    func transcript(ofConversation id: Int) -> [SimulatedMessage] {
        messageIds[id, default: []].compactMap { messages[$0] }
    }

    /// The latest conversation of a contact inbox, or `nil`.
    func latestConversation(ofContactInbox id: Int) -> SimulatedConversation? {
        conversations.values.filter { $0.contactInboxId == id }.max { $0.id < $1.id }
    }

    /// Whether the bot may call the API in `account`: its own account, or one where it is
    /// connected to an inbox (docs/chatwoot-protocol.md §7.1).
    func botCanAccess(accountId: Int) -> Bool {
        bot.accountId == accountId || inboxes.values.contains { $0.accountId == accountId && $0.botActive }
    }

    /// Whether events of `conversation` reach the bot: it is the inbox's active bot, or the
    /// conversation's assignee (§2.1). Each event reaches it at most once.
    func botReceivesEvents(of conversation: SimulatedConversation) -> Bool {
        inboxes[conversation.inboxId]?.botActive == true || conversation.assignee == .bot(id: bot.id)
    }

    /// The display name of whoever performs a change.
    func name(of actor: ChangeAuthor) -> String {
        switch actor {
        case .bot: bot.name
        case .agent(let id): agents[id]?.name ?? "Agent \(id)"
        case .contact(let id): contacts[id]?.name ?? "Contact \(id)"
        case .system: "System"
        }
    }
}
