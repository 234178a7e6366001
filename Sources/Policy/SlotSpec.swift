import HTTPSupport
import Foundation
import NLU

/// A piece of information the bot collects, with how to ask and how to check it.
public struct SlotSpec: Sendable {
    public enum Kind: Sendable, Equatable {
        case text
        case email
        /// A regular expression found anywhere in the answer (e.g. an order number).
        case pattern(String)
        case number(ClosedRange<Int>?)
        /// `YYYY-MM-DD`, the locale's day/month form, `today`, `tomorrow` (and their pt-BR words).
        case date
        /// One of these values (folded match), e.g. `standard`, `deluxe`.
        case choice([String])
    }

    public var name: String
    public var line: Int
    public var kind: Kind
    /// The entity the NLU extracts for this slot (defaults to the slot's name).
    public var entity: String
    public var prompt: Reply
    /// Said when an answer does not validate (then the prompt again).
    public var invalid: Reply?
    /// Contact-scoped slots survive the conversation being resolved (stored as `contact.NAME`).
    public var contactScoped: Bool
    /// Stored in upper case (order numbers are typed in any case).
    public var uppercase: Bool
    let regex: NSRegularExpressionBox?

    /// The key in ``Projections/ConversationState/slots``.
    public var stateKey: String { contactScoped ? "contact." + name : name }

    /// The value in `text`, normalised, or nil when it does not validate.
    /// - Parameters:
    ///   - now: the event's time (µs), for relative dates; `timeZone` the policy's.
    public func validate(_ text: String, language: String, now: Int64, timeZone: TimeZone) -> String? {
        let trimmed = TextNormalizer.trimmed(text)
        guard !trimmed.isEmpty else { return nil }
        switch kind {
        case .text:
            return trimmed
        case .email:
            // Words around an address are split off with what encloses or introduces it:
            // "(jane@example.com)", "email:jane@example.com", "\"jane@example.com\"".
            let candidates = trimmed.split(whereSeparator: { $0.isWhitespace || Self.aroundAnEmail.contains($0) })
                .map { $0.trimmingCharacters(in: CharacterSet(charactersIn: ".!?'‘’")) }
            guard let email = candidates.first(where: { Self.isEmail(Substring($0)) }) else { return nil }
            return email.lowercased()
        case .pattern:
            guard let regex = regex?.value else { return nil }
            let range = NSRange(trimmed.startIndex..., in: trimmed)
            // A whole word only: "AB-100019" is no answer to an `[A-Z]{2}-?\d{5}` question, not
            // order AB-10001 (someone else's) with a 9 left over.
            func isWordCharacter(_ character: Character?) -> Bool { character.map { $0.isLetter || $0.isNumber } ?? false }
            let whole = regex.matches(in: trimmed, range: range).lazy.compactMap { Range($0.range, in: trimmed) }.first { found in
                !found.isEmpty
                    && !isWordCharacter(found.lowerBound > trimmed.startIndex ? trimmed[trimmed.index(before: found.lowerBound)] : nil)
                    && !isWordCharacter(found.upperBound < trimmed.endIndex ? trimmed[found.upperBound] : nil)
            }
            guard let whole else { return nil }
            let value = String(trimmed[whole])
            return uppercase ? value.uppercased() : value
        case .number(let range):
            guard let digits = trimmed.split(whereSeparator: { !$0.isNumber }).first, var value = Int(digits) else {
                return Self.spelledNumber(trimmed).flatMap { value in range.map { $0.contains(value) } ?? true ? String(value) : nil }
            }
            // A minus sign right before the number, at the start or after a space, is its sign
            // ("-5"); a dash between numbers ("2-3") is not.
            if digits.startIndex > trimmed.startIndex, trimmed[trimmed.index(before: digits.startIndex)] == "-" {
                let dash = trimmed.index(before: digits.startIndex)
                if dash == trimmed.startIndex || trimmed[trimmed.index(before: dash)] == " " { value = -value }
            }
            if let range, !range.contains(value) { return nil }
            return String(value)
        case .date:
            return DateSlot.parse(trimmed, language: language, now: now, timeZone: timeZone)
        case .choice(let values):
            let folded = TextNormalizer.fold(trimmed)
            return values.first { TextNormalizer.fold($0) == folded }
                ?? values.first { TextNormalizer.tokens(trimmed).contains(TextNormalizer.fold($0)) }
        }
    }

    /// Characters that split an address from the words around it. Not the apostrophe, which an
    /// address may hold ("o'brien@example.com"): single quotes are trimmed from its ends instead.
    private static let aroundAnEmail: Set<Character> = [",", ";", "<", ">", "(", ")", "[", "]", "{", "}", "\"", ":", "“", "”"]

    private static func isEmail(_ candidate: Substring) -> Bool {
        let parts = candidate.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty else { return false }
        let domain = parts[1].trimmingCharacters(in: CharacterSet(charactersIn: ".!?"))
        let labels = domain.split(separator: ".", omittingEmptySubsequences: false)
        return labels.count >= 2 && labels.allSatisfy { !$0.isEmpty }
    }

    private static func spelledNumber(_ text: String) -> Int? {
        let words = ["one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
                     "um": 1, "uma": 1, "dois": 2, "duas": 2, "tres": 3, "quatro": 4, "cinco": 5, "seis": 6]
        return TextNormalizer.tokens(text).lazy.compactMap { words[$0] }.first
    }
}

/// `NSRegularExpression` is immutable once built; the box makes that visible to Swift 6.
struct NSRegularExpressionBox: @unchecked Sendable {
    let value: NSRegularExpression
}

/// Dates customers type, normalised to `YYYY-MM-DD`.
enum DateSlot {
    /// Whether `language` writes the month before the day (12/20): US English (and plain `en`,
    /// taken as it) and Philippine English; British, Australian, Irish, Indian, … English and
    /// every other language write the day first.
    static func writesMonthFirst(_ language: String) -> Bool {
        let tag = language.lowercased().replacingOccurrences(of: "_", with: "-") // en_US, en-us: as en-US
        return tag == "en" || tag.hasPrefix("en-us") || tag.hasPrefix("en-ph")
    }

    static func parse(_ text: String, language: String, now: Int64, timeZone: TimeZone) -> String? {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let today = Date(timeIntervalSince1970: TimeInterval(now / 1_000_000))
        let words = TextNormalizer.tokens(text)
        // The first date written as one: 2026-12-20, or day and month (in the language's order)
        // with a year only when it follows them as part of the same date ("20/12/2026", "12/20/26").
        // A third number elsewhere ("12/20 to 12/22", "20/12, 2 pessoas") is not a year. A date
        // written out wins over a word such as "today" elsewhere in the message.
        let year: Int, month: Int, day: Int
        let currentYear = calendar.component(.year, from: today)
        let range = NSRange(text.startIndex..., in: text)
        func number(_ match: NSTextCheckingResult, _ group: Int) -> Int? {
            Range(match.range(at: group), in: text).flatMap { Int(text[$0]) }
        }
        let monthFirst = Self.writesMonthFirst(language)
        // "day after tomorrow" before "tomorrow", which it contains.
        let relative: [([String], Int)] = [(["day", "after", "tomorrow"], 2), (["depois", "de", "amanha"], 2),
                                           (["today"], 0), (["hoje"], 0), (["tomorrow"], 1), (["amanha"], 1)]
        let relativeDay = relative.first { Self.contains(words, $0.0) }?.1
        let dayMonth = Self.dayMonth.firstMatch(in: text, range: range)
        // Beside "tomorrow", "10.30" or "2-3" is a time, not a date: only a date with a slash or
        // a year is written as one there.
        let dayMonthIsADate = dayMonth.map { match in
            relativeDay == nil || match.range(at: 3).location != NSNotFound
                || Range(match.range, in: text).map { text[$0].contains("/") } == true
        } ?? false
        if let match = Self.iso.firstMatch(in: text, range: range), let y = number(match, 1), let m = number(match, 2), let d = number(match, 3) {
            (year, month, day) = (y, m, d)
        } else if dayMonthIsADate, let match = dayMonth, let first = number(match, 1), let second = number(match, 2) {
            (day, month) = monthFirst ? (second, first) : (first, second)
            year = number(match, 3).map { $0 < 100 ? 2000 + $0 : $0 } ?? currentYear
        } else {
            if let offset = relativeDay {
                guard let day = calendar.date(byAdding: .day, value: offset, to: today) else { return nil }
                let parts = calendar.dateComponents([.year, .month, .day], from: day)
                return format(parts.year!, parts.month!, parts.day!)
            }
            // Numbers without separators ("20 12"): day and month only, and only when the answer
            // is nothing else ("in 2 or 3 weeks" is no date).
            guard words.count == 2, let first = Int(words[0]), let second = Int(words[1]) else { return nil }
            (day, month) = monthFirst ? (second, first) : (first, second)
            year = currentYear
        }
        var components = DateComponents()
        (components.year, components.month, components.day) = (year, month, day)
        guard (1...12).contains(month), (1...31).contains(day), let date = calendar.date(from: components),
              calendar.component(.day, from: date) == day else { return nil }
        return format(year, month, day)
    }

    private static let iso = try! NSRegularExpression(pattern: #"(?<!\d)(\d{4})-(\d{1,2})-(\d{1,2})(?!\d)"#)
    private static let dayMonth = try! NSRegularExpression(pattern: #"(?<!\d)(\d{1,2})[/.\-](\d{1,2})(?:[/.\-](\d{4}|\d{2}))?(?!\d)"#)

    private static func contains(_ words: [String], _ phrase: [String]) -> Bool {
        guard phrase.count <= words.count else { return false }
        return (0...(words.count - phrase.count)).contains { Array(words[$0..<($0 + phrase.count)]) == phrase }
    }

    private static func format(_ year: Int, _ month: Int, _ day: Int) -> String {
        String(year) + "-" + String(month).zeroPadded(to: 2) + "-" + String(day).zeroPadded(to: 2)
    }
}
