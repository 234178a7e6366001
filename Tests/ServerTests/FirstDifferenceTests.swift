import Chatwoot
import Domain
@testable import Engine
import Testing

/// The first difference a replay names is the same text in every process: an object's members
/// in key order (Foundation's `JSONEncoder` wrote them in the process's hash order).
@Suite struct FirstDifferenceTests {
    @Test func anObjectValueIsWrittenWithItsKeysSorted() throws {
        let address = ConversationAddress(accountId: 1, conversationId: 7)
        let keys = ["order", "email", "name", "city", "guests", "day", "room", "zip"]
        let slots = JSONValue.object(Dictionary(uniqueKeysWithValues: keys.map { ($0, JSONValue.string("value of \($0)")) }))
        let recorded = Decision(conversation: address, commands: [], explanation: .object(["rule": "intent:book", "slots": slots]), policy: "p@1")
        let replayed = Decision(conversation: address, commands: [], explanation: .object(["rule": "intent:book"]), policy: "p@1")
        let change = DecisionChange(conversation: address, inputSeq: 3, recordedSeq: 4, recorded: recorded, replayed: replayed, time: 0)
        let difference = try #require(change.firstDifference)
        #expect(difference.path == "explanation.slots")
        let sorted = "{" + keys.sorted().map { "\"\($0)\":\"value of \($0)\"" }.joined(separator: ",") + "}"
        #expect(difference.recorded == String(sorted.prefix(117)) + "…")
        #expect(difference.replayed == "(absent)")
    }
}
