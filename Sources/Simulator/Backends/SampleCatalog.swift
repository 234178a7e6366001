import Chatwoot
import Foundation

/// The fixed seed data of the sample backends: customers, their orders, and the content feed.
enum SampleCatalog {
    struct Customer {
        var id: Int
        var name: String
        var email: String
        var tier: String
        var orders: [String]

        func json(verified: Bool) -> JSONValue {
            ["id": .int(id), "name": .string(name), "email": .string(email), "tier": .string(tier), "verified": .bool(verified)]
        }
    }

    struct Order {
        var number: String
        var status: String
        var carrier: String?
        var tracking: String?
        var eta: String
        var items: [(name: String, qty: Int)]
        var customerEmail: String

        var json: JSONValue {
            [
                "number": .string(number),
                "status": .string(status),
                "carrier": carrier.map(JSONValue.string) ?? .null,
                "tracking": tracking.map(JSONValue.string) ?? .null,
                "eta": .string(eta),
                "items": .array(items.map { ["name": .string($0.name), "qty": .int($0.qty)] }),
                "customer_email": .string(customerEmail),
            ]
        }
    }

    struct Article {
        var slug: String
        var title: String
        var summary: String

        func json(topic: String) -> JSONValue {
            [
                "title": .string(title),
                "summary": .string(summary),
                "url": .string("https://news.example.com/\(topic)/\(slug)"),
                "image": .string("https://news.example.com/img/\(slug).jpg"),
            ]
        }
    }

    static let customers = [
        Customer(id: 7, name: "Maria Silva", email: "maria@example.com", tier: "gold", orders: ["AB-10001", "AB-10002"]),
        Customer(id: 8, name: "João Santos", email: "joao@example.com", tier: "silver", orders: ["AB-20001"]),
        Customer(id: 9, name: "Alex Morgan", email: "alex@example.com", tier: "standard", orders: []),
    ]

    static let orders = [
        Order(
            number: "AB-10001", status: "shipped", carrier: "UPS", tracking: "1Z999", eta: "2026-12-02",
            items: [("Blue kettle", 1)], customerEmail: "maria@example.com"
        ),
        Order(
            number: "AB-10002", status: "processing", carrier: nil, tracking: nil, eta: "2026-12-09",
            items: [("Tea cups (set of 4)", 2), ("Loose-leaf green tea", 1)], customerEmail: "maria@example.com"
        ),
        Order(
            number: "AB-20001", status: "delivered", carrier: "DHL", tracking: "JD014600006281", eta: "2026-11-20",
            items: [("Running shoes", 1)], customerEmail: "joao@example.com"
        ),
    ]

    static let articles: [String: [Article]] = [
        "technology": [
            Article(
                slug: "low-power-chips", title: "Chipmakers bet on cooler, smaller data centres",
                summary: "A new generation of low-power server processors promises to cut energy use by a third."
            ),
            Article(
                slug: "offline-assistant", title: "An open-source assistant that runs entirely on a laptop",
                summary: "Developers show a voice assistant that needs no cloud connection and keeps data on the device."
            ),
            Article(
                slug: "night-buses", title: "City pilots self-driving night buses",
                summary: "Three electric shuttles will run between the station and the hospital from midnight to five."
            ),
        ],
        "sports": [
            Article(
                slug: "title-final-day", title: "Underdogs clinch the league title on the final day",
                summary: "A stoppage-time winner completes a season nobody predicted."
            ),
            Article(
                slug: "marathon-record", title: "Marathon course record falls in cool, calm conditions",
                summary: "The winner finished 41 seconds under the old mark set eleven years ago."
            ),
            Article(
                slug: "young-keeper", title: "Teenage goalkeeper signs first professional contract",
                summary: "The academy graduate kept six clean sheets after being called up in an injury crisis."
            ),
        ],
        "business": [
            Article(
                slug: "same-day-delivery", title: "Small retailers lean on same-day delivery",
                summary: "Shared courier networks let independent shops match the big platforms on speed."
            ),
            Article(
                slug: "rates-steady", title: "Central bank holds rates steady for a third month",
                summary: "Policymakers point to easing inflation but warn that cuts are not yet on the table."
            ),
            Article(
                slug: "coffee-prices", title: "Coffee prices climb as harvest forecasts shrink",
                summary: "Roasters expect shelf prices to rise early next year after a dry season in key growing regions."
            ),
        ],
    ]

    /// The customer with this email, compared trimmed and in any case.
    static func customer(email: String) -> Customer? {
        let email = email.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
        return customers.first { $0.email == email }
    }

    /// The order with this number, compared in any case and with or without dashes and spaces.
    static func order(number: String) -> Order? {
        let key = orderKey(number)
        return key.isEmpty ? nil : orders.first { orderKey($0.number) == key }
    }

    /// `ab 10001`, `AB10001` and `AB-10001` all give `AB10001`.
    static func orderKey(_ number: String) -> String {
        String(number.uppercased().filter { $0 != "-" && !$0.isWhitespace })
    }
}
