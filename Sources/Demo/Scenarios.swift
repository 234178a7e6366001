import Chatwoot
import Simulator

extension Scenario {
    /// The seed use cases, in the order the demo plays them.
    public static let all: [Scenario] = [supportTriage, ecommerce, news, booking]

    /// Greet, answer an FAQ, verify the customer before account data, hand off with a summary,
    /// watch while the agent works, get the conversation back.
    public static let supportTriage = Scenario(
        name: "support-triage", title: "greet, answer, verify, hand off with a summary, hand back",
        policy: "support-triage.yml",
        customer: VisitorProfile(name: "Maria Silva", email: "maria@example.com"),
        steps: [
            .says("hi"),
            .says("how do I get a refund?"),
            .says("what's the status of my account?"),
            .submitsEmail("maria@example.com"),
            .says("AB-10001"),
            .says("I want to talk to a human agent"),
            .narrate("A human agent now owns the conversation: the bot only posts private notes for them."),
            .says("also, my other order is AB-10002"),
            .agentSays("Hi Maria, Sam here. AB-10002 leaves our warehouse tomorrow. Anything else?"),
            .agentSets(.pending),
            .narrate("Sam handed the conversation back to the bot, which resumes with what it knew."),
            .says("no, that's all, thanks!"),
        ])

    /// Order and shipment status from the orders system: slot filling, not found, found.
    public static let ecommerce = Scenario(
        name: "ecommerce-orders", title: "order status from the orders system: slot filling, not found, found",
        policy: "ecommerce-orders.yml",
        customer: VisitorProfile(name: "João Souza", email: "joao@example.com"),
        steps: [
            .says("hello"),
            .says("where is my order?"),
            .says("it's ZZ-99999"),
            .says("sorry, wrong one. track order AB-20001 please"),
            .says("where is AB-10002?"),
            .says("thanks!"),
        ])

    /// Recommendations as cards after an input_select of topics.
    public static let news = Scenario(
        name: "news-recommendations", title: "topics as buttons, recommendations as cards",
        policy: "news-recommendations.yml",
        customer: VisitorProfile(name: "Alex Kim", email: "alex@example.com"),
        steps: [
            .says("hi"),
            .selects("technology"),
            .says("show me sports news"),
            .says("and business?"),
        ])

    /// Availability lookup, a form, a confirmed booking (idempotent action), a CSAT survey.
    public static let booking = Scenario(
        name: "booking", title: "a form, availability, an idempotent booking, a satisfaction survey",
        policy: "booking.yml",
        customer: VisitorProfile(name: "Maria Silva", email: "maria@example.com"),
        steps: [
            .says("hi, I'd like to book a room"),
            .submitsForm(["checkin": "2027-03-10", "checkout": "2027-03-13", "guests": "2", "guest_name": "Maria Silva", "email": "maria@example.com"]),
            .selects("deluxe"),
            .rates(5),
        ])
}
