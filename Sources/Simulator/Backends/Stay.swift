import Chatwoot
import Foundation

/// A hotel stay asked for by `/availability` or `/bookings`, and the rooms the sample hotel offers for it.
struct Stay: Hashable {
    /// A room type, its price per night and how many guests it sleeps.
    struct Room: Hashable {
        var type: String
        var price: Int
        var capacity: Int

        var json: JSONValue { ["type": .string(type), "price": .int(price), "currency": .string(Stay.currency)] }
    }

    static let currency = "USD"
    static let rooms = [
        Room(type: "standard", price: 120, capacity: 4),
        Room(type: "deluxe", price: 190, capacity: 6),
    ]
    static let guestRange = 1...6
    /// Nights on which the hotel is full.
    static let fullyBooked = CalendarDay("2026-12-24")!...CalendarDay("2026-12-26")!

    var checkin: CalendarDay
    var checkout: CalendarDay
    var guests: Int

    /// Validates the fields as they came (query parameters or body fields).
    /// - Throws: ``InvalidInput`` naming the first bad field.
    init(checkin: String?, checkout: String?, guests: String?) throws(InvalidInput) {
        guard let checkin = checkin.flatMap({ CalendarDay($0.trimmingCharacters(in: .whitespaces)) }) else {
            throw InvalidInput("checkin must be a date as YYYY-MM-DD")
        }
        guard let checkout = checkout.flatMap({ CalendarDay($0.trimmingCharacters(in: .whitespaces)) }) else {
            throw InvalidInput("checkout must be a date as YYYY-MM-DD")
        }
        guard checkout > checkin else { throw InvalidInput("checkout must be after checkin") }
        guard let guests = guests.flatMap({ Int($0.trimmingCharacters(in: .whitespaces)) }),
            Self.guestRange.contains(guests)
        else {
            throw InvalidInput("guests must be a whole number from 1 to 6")
        }
        self.checkin = checkin
        self.checkout = checkout
        self.guests = guests
    }

    var nights: Int { checkout.dayNumber - checkin.dayNumber }

    /// The rooms offered: none if a night falls in ``fullyBooked``, only those that sleep ``guests``.
    var availableRooms: [Room] {
        // The nights are checkin ..< checkout.
        let isFull = checkin <= Self.fullyBooked.upperBound && checkout > Self.fullyBooked.lowerBound
        return isFull ? [] : Self.rooms.filter { $0.capacity >= guests }
    }

    /// The `/availability` answer.
    var availabilityJSON: JSONValue {
        let rooms = availableRooms
        return ["available": .bool(!rooms.isEmpty), "nights": .int(nights), "rooms": .array(rooms.map(\.json))]
    }
}
