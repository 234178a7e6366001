import Chatwoot
import Simulator

/// One scripted conversation of the demo: a policy from `examples/` and what the people do.
public struct Scenario: Sendable {
    public var name: String
    public var title: String
    /// A file in the examples directory.
    public var policy: String
    public var customer: VisitorProfile
    public var steps: [Step]

    public enum Step: Sendable {
        /// The customer types.
        case says(String)
        /// The customer clicks the option (by value, else title) of the bot's last `input_select`.
        case selects(String)
        /// The customer fills in the bot's last form.
        case submitsForm([String: String])
        /// The customer answers the bot's last email box.
        case submitsEmail(String)
        /// The customer rates the bot's last satisfaction survey.
        case rates(Int)
        /// A human agent replies publicly.
        case agentSays(String)
        /// A human agent changes the status (`.pending` hands back to the bot).
        case agentSets(ConversationStatusChange)
        /// A line of narration for the reader.
        case narrate(String)
    }

    public init(name: String, title: String, policy: String, customer: VisitorProfile, steps: [Step]) {
        self.name = name
        self.title = title
        self.policy = policy
        self.customer = customer
        self.steps = steps
    }
}

extension Scenario.Step {
    /// A line typed in `ledgerbot demo --interactive`: plain text is the customer speaking;
    /// `/select VALUE`, `/form name=value, …`, `/email ADDRESS`, `/rate N`, `/agent TEXT`,
    /// `/pending`, `/open`, `/resolve` do the rest. Nil for an empty or unknown line.
    public static func parse(_ line: String) -> Scenario.Step? {
        let trimmed = line.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty else { return nil }
        guard trimmed.hasPrefix("/") else { return .says(trimmed) }
        let command = trimmed.prefix { $0 != " " }
        let rest = trimmed.dropFirst(command.count).trimmingCharacters(in: .whitespaces)
        switch command {
        case "/select": return rest.isEmpty ? nil : .selects(rest)
        case "/email": return rest.isEmpty ? nil : .submitsEmail(rest)
        case "/rate": return Int(rest).map(Scenario.Step.rates)
        case "/agent": return rest.isEmpty ? nil : .agentSays(rest)
        case "/pending": return .agentSets(.pending)
        case "/open": return .agentSets(.open)
        case "/resolve": return .agentSets(.resolved)
        case "/form":
            var values: [String: String] = [:]
            for pair in rest.split(separator: ",") {
                let parts = pair.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                if parts.count == 2 { values[parts[0]] = parts[1] }
            }
            return values.isEmpty ? nil : .submitsForm(values)
        default: return nil
        }
    }

    public static let interactiveHelp = """
        Type as the customer. Commands: /select VALUE · /form name=value, name=value · /email ADDRESS · /rate 1-5
        As an agent: /agent TEXT · /pending (hand back to the bot) · /open · /resolve.  Ctrl-D or /quit ends.
        """
}
