import Chatwoot
import Foundation
import LedgerbotTesting
import Simulator

/// A Chatwoot fixture from `Tests/Fixtures/chatwoot`, as JSON.
func fixtureJSON(_ name: String) throws -> JSONValue {
    try JSONDecoder().decode(JSONValue.self, from: Data(chatwootFixture(name + ".json")))
}

/// The visitor of the fixtures.
let jane = VisitorProfile(name: "Jane Doe", email: "jane@example.com")

/// The options of the fixtures' `input_select` message.
let orderOptions = [
    SelectItem(title: "Track my order", value: "track_order"),
    SelectItem(title: "Return an item", value: "return_item"),
    SelectItem(title: "Talk to a human", value: "handoff"),
]
