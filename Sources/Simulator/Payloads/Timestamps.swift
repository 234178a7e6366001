import Foundation

/// The time formats Chatwoot's serializers produce (docs/chatwoot-protocol.md §4).
enum Timestamps {
    private static let isoStyle = Date.ISO8601FormatStyle(includingFractionalSeconds: true)

    /// Rails' JSON form of a time: `"2026-05-13T09:15:42.318Z"`.
    static func iso(_ date: Date) -> String {
        date.formatted(isoStyle)
    }

    /// `.to_i`: whole Unix seconds; `0` for `nil`, as the presenters write it.
    static func unix(_ date: Date?) -> Int {
        guard let date else { return 0 }
        return Int(date.timeIntervalSince1970.rounded(.down))
    }

    /// `.to_f`: Unix seconds with a fraction (microsecond precision, as Ruby's `Time#to_f` on a
    /// database timestamp).
    static func unixFloat(_ date: Date) -> Double {
        (date.timeIntervalSince1970 * 1_000_000).rounded(.down) / 1_000_000
    }

    /// JavaScript's `Date.prototype.toString()` in UTC, as the widget sends it in `initiated_at`:
    /// `"Wed May 13 2026 09:14:03 GMT+0000 (Coordinated Universal Time)"`.
    static func browserString(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let parts = calendar.dateComponents([.weekday, .year, .month, .day, .hour, .minute, .second], from: date)
        let weekdays = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        func two(_ value: Int?) -> String { String(format: "%02d", value ?? 0) }
        return "\(weekdays[(parts.weekday ?? 1) - 1]) \(months[(parts.month ?? 1) - 1]) \(two(parts.day)) \(parts.year ?? 1970) "
            + "\(two(parts.hour)):\(two(parts.minute)):\(two(parts.second)) GMT+0000 (Coordinated Universal Time)"
    }
}
