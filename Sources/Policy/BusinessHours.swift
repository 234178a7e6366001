import HTTPSupport
import Foundation

/// When humans are there to take a hand-off, in the policy's time zone.
public struct BusinessHours: Sendable {
    public enum Outside: String, Sendable {
        /// Reply with the hours and hand off at once (agents answer when they are back).
        case handoff
        /// Keep answering; a hand-off outside hours adds the hours reply first.
        case queue
    }

    public let timeZone: TimeZone
    /// Weekday (1 = Sunday … 7 = Saturday) → open intervals in minutes since local midnight.
    public let windows: [Int: [Range<Int>]]
    public let outside: Outside
    /// Said outside hours (`{{hours}}` is ``description``).
    public let reply: Reply
    /// `Mon–Fri 09:00–18:00, Sat 10:00–14:00 (America/New_York)`: written once, as every turn's
    /// template context carries it.
    public let description: String
    private let calendar: Calendar

    public init(timeZone: TimeZone, windows: [Int: [Range<Int>]], outside: Outside, reply: Reply) {
        self.timeZone = timeZone
        self.windows = windows
        self.outside = outside
        self.reply = reply
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        self.calendar = calendar
        description = Self.describe(windows, in: timeZone)
    }

    /// Whether `micros` (µs since 1970, from an event) falls inside opening hours.
    public func isOpen(atMicros micros: Int64) -> Bool {
        let date = Date(timeIntervalSince1970: TimeInterval(micros / 1_000_000))
        let parts = calendar.dateComponents([.weekday, .hour, .minute], from: date)
        let minute = (parts.hour ?? 0) * 60 + (parts.minute ?? 0)
        return windows[parts.weekday ?? 0]?.contains { $0.contains(minute) } ?? false
    }

    private static func describe(_ windows: [Int: [Range<Int>]], in timeZone: TimeZone) -> String {
        let names = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        var groups: [(days: [Int], hours: String)] = []
        for day in [2, 3, 4, 5, 6, 7, 1] {
            guard let intervals = windows[day], !intervals.isEmpty else { continue }
            let hours = intervals.map { Self.clock($0.lowerBound) + "–" + Self.clock($0.upperBound) }.joined(separator: ", ")
            if let last = groups.last, last.hours == hours, let previous = last.days.last, (previous % 7) + 1 == day {
                groups[groups.count - 1].days.append(day)
            } else {
                groups.append(([day], hours))
            }
        }
        let text = groups.map { group in
            let days = group.days.count == 1 ? names[group.days[0] - 1] : names[group.days.first! - 1] + "–" + names[group.days.last! - 1]
            return days + " " + group.hours
        }.joined(separator: ", ")
        return text + " (" + timeZone.identifier + ")"
    }

    static func clock(_ minutes: Int) -> String {
        String(minutes / 60).zeroPadded(to: 2) + ":" + String(minutes % 60).zeroPadded(to: 2)
    }

    /// `mon-fri`, `sat`, `daily` → weekdays (1 = Sunday).
    static func days(_ text: String) -> [Int]? {
        let order = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]
        let key = text.lowercased().trimmingCharacters(in: .whitespaces)
        if key == "daily" || key == "every day" { return Array(1...7) }
        if key == "weekdays" { return [2, 3, 4, 5, 6] }
        let parts = key.split(separator: "-").map { String($0.prefix(3)) }
        guard let first = parts.first.flatMap({ order.firstIndex(of: $0) }) else { return nil }
        guard parts.count == 2 else { return parts.count == 1 ? [first + 1] : nil }
        guard let last = order.firstIndex(of: parts[1]) else { return nil }
        var days: [Int] = []
        var day = first
        while true {
            days.append(day + 1)
            if day == last { break }
            day = (day + 1) % 7
        }
        return days
    }

    /// `09:00-18:00` (several separated by commas) → minute ranges.
    static func intervals(_ text: String) -> [Range<Int>]? {
        var result: [Range<Int>] = []
        for part in text.split(separator: ",") {
            let ends = part.split(separator: "-").map { $0.trimmingCharacters(in: .whitespaces) }
            guard ends.count == 2, let start = minutes(ends[0]), let end = minutes(ends[1]), start < end else { return nil }
            result.append(start..<end)
        }
        return result.isEmpty ? nil : result
    }

    private static func minutes(_ text: String) -> Int? {
        let parts = text.split(separator: ":")
        guard parts.count == 2, let hour = Int(parts[0]), let minute = Int(parts[1]), (0...24).contains(hour), (0..<60).contains(minute),
              hour * 60 + minute <= 24 * 60 else { return nil }
        return hour * 60 + minute
    }
}
