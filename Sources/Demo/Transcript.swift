import Chatwoot
import Foundation
import Simulator

/// Prints what the simulated Chatwoot shows: who wrote what, rich messages as text, private
/// notes, status changes. Colours only when writing to a terminal.
public struct TranscriptPrinter: Sendable {
    public var color: Bool
    public let write: @Sendable (String) -> Void

    public init(color: Bool, write: @escaping @Sendable (String) -> Void) {
        self.color = color
        self.write = write
    }

    private func paint(_ text: String, _ code: String) -> String { color ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text }

    public func heading(_ text: String) { write("\n" + paint(text, "1") + "\n") }
    public func line(_ text: String) { write(text + "\n") }
    public func dim(_ text: String) { write(paint(text, "2") + "\n") }
    public func narrate(_ text: String) { write(paint("  ┄ " + text, "3;2") + "\n") }
    public func success(_ text: String) { write(paint(text, "32") + "\n") }
    public func failure(_ text: String) { write(paint(text, "31") + "\n") }

    /// A widget answer (it updates the bot's message instead of adding one).
    public func customerAction(_ text: String) {
        write(label("customer", "36") + paint(text, "3") + "\n")
    }

    public func status(from old: ConversationStatus, to new: ConversationStatus) {
        let owner = new == .pending ? "the bot owns it" : new == .open ? "a human owns it" : new.rawValue
        write(label("status", "35") + paint("\(old.rawValue) → \(new.rawValue)  (\(owner))", "35") + "\n")
    }

    public func message(_ message: SimulatedMessage) {
        let (who, code): (String, String)
        switch (message.isPrivate, message.senderKind, message.messageType) {
        case (true, _, _): (who, code) = ("note", "33")
        case (_, .contact?, _), (_, _, .incoming): (who, code) = ("customer", "36")
        case (_, .agentBot?, _): (who, code) = ("bot", "34")
        case (_, .user?, _): (who, code) = ("agent", "32")
        default: (who, code) = ("chatwoot", "2")
        }
        let body = Self.render(message)
        let lines = body.split(separator: "\n", omittingEmptySubsequences: false)
        let first = lines.first.map(String.init) ?? ""
        let text = message.isPrivate ? paint(first, "2") : first
        write(label(who, code) + text + "\n")
        for rest in lines.dropFirst() { write(String(repeating: " ", count: 12) + (message.isPrivate ? paint(String(rest), "2") : String(rest)) + "\n") }
    }

    private func label(_ who: String, _ code: String) -> String {
        "  " + paint(who.padding(toLength: 9, withPad: " ", startingAt: 0), "1;" + code) + " "
    }

    /// A rich message as readable text.
    static func render(_ message: SimulatedMessage) -> String {
        let content = message.content ?? ""
        let items = message.contentAttributes["items"]?.arrayValue ?? []
        switch message.contentType {
        case .inputSelect:
            let options = items.map { "[\($0["title"]?.stringValue ?? "?")]" }.joined(separator: " ")
            return content + "\n" + options
        case .cards:
            let cards = items.map { item -> String in
                var line = "▣ " + (item["title"]?.stringValue ?? "")
                if let description = item["description"]?.stringValue { line += " — " + description }
                if let link = item["actions"]?[0]?["uri"]?.stringValue { line += " <" + link + ">" }
                return line
            }
            return ([content].filter { !$0.isEmpty } + cards).joined(separator: "\n")
        case .form:
            let fields = items.map { "[\($0["label"]?.stringValue ?? $0["name"]?.stringValue ?? "?"): ____]" }.joined(separator: " ")
            return content + "\n" + fields
        case .article:
            let articles = items.map { "◦ " + ($0["title"]?.stringValue ?? "") + " <" + ($0["link"]?.stringValue ?? "") + ">" }
            return ([content].filter { !$0.isEmpty } + articles).joined(separator: "\n")
        case .inputEmail:
            return content + "\n[email: ____________]"
        case .inputCSAT:
            return content + "\n[rate: 1 2 3 4 5]"
        default:
            return content
        }
    }
}
