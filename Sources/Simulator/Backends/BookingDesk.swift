import Chatwoot
import Foundation
import NIOConcurrencyHelpers

/// The sample hotel's bookings, made at most once per `Idempotency-Key`.
final class BookingDesk: Sendable {
    private struct State {
        var bookings: [SampleBooking] = []
        /// Idempotency key → index in `bookings`.
        var byKey: [String: Int] = [:]
    }

    private let state = NIOLockedValueBox(State())

    var bookings: [SampleBooking] { state.withLockedValue { $0.bookings } }

    /// Answers `POST /bookings`: 201 with a new booking, 200 with the booking already made under
    /// `key` for the same fields, or an error (see ``SampleBackends``).
    func book(body: Data, idempotencyKey key: String?) -> RESTResponse {
        guard let key = key?.trimmingCharacters(in: .whitespaces), !key.isEmpty else {
            return BackendAnswer.badRequest("The Idempotency-Key header is required")
        }
        let request: BookingRequest
        do throws(InvalidInput) {
            request = try BookingRequest(body: body)
        } catch {
            return BackendAnswer.badRequest(error)
        }
        // Looked up and inserted under one lock: concurrent resends still book once.
        return state.withLockedValue { state in
            if let index = state.byKey[key] {
                let booking = state.bookings[index]
                return request.matches(booking) ? BackendAnswer.ok(booking.json) : BackendAnswer.idempotencyKeyReused
            }
            guard let room = request.stay.availableRooms.first(where: { $0.type == request.room }) else {
                return BackendAnswer.notAvailable
            }
            let booking = SampleBooking(
                reference: Self.reference(state.bookings.count + 1),
                room: room.type,
                checkin: request.stay.checkin.description,
                checkout: request.stay.checkout.description,
                guests: request.stay.guests,
                name: request.name,
                email: request.email,
                nights: request.stay.nights,
                total: room.price * request.stay.nights,
                currency: Stay.currency,
                idempotencyKey: key
            )
            state.byKey[key] = state.bookings.count
            state.bookings.append(booking)
            return BackendAnswer.created(booking.json)
        }
    }

    /// `BK-0001` for 1.
    private static func reference(_ number: Int) -> String {
        let digits = String(number)
        return "BK-" + String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }
}

/// The validated body of `POST /bookings`.
struct BookingRequest: Hashable {
    var room: String
    var stay: Stay
    var name: String
    var email: String

    static let fields = ["room", "checkin", "checkout", "guests", "name", "email"]

    /// Decodes by hand, so that every malformed body is a 400 with a message.
    /// - Throws: ``InvalidInput`` for a body that is not a JSON object, or a missing or invalid field.
    init(body: Data) throws(InvalidInput) {
        guard let json = try? JSONDecoder().decode(JSONValue.self, from: body), case .object(let object) = json else {
            throw InvalidInput("The body must be a JSON object with \(Self.fields.joined(separator: ", "))")
        }
        let missing = Self.fields.filter { object[$0] == nil || object[$0] == .null }
        guard missing.isEmpty else {
            throw InvalidInput("Missing field\(missing.count == 1 ? "" : "s"): \(missing.joined(separator: ", "))")
        }
        func text(_ field: String) throws(InvalidInput) -> String {
            guard case .string(let value) = object[field] else { throw InvalidInput("\(field) must be a string") }
            return value.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        let room = try text("room").lowercased()
        guard Stay.rooms.contains(where: { $0.type == room }) else {
            throw InvalidInput("room must be one of \(Stay.rooms.map(\.type).joined(separator: ", "))")
        }
        // A form may send the number of guests as text.
        let guests: String? =
            switch object["guests"] {
            case .int(let value): String(value)
            case .string(let value): value
            default: nil
            }
        self.stay = try Stay(checkin: try text("checkin"), checkout: try text("checkout"), guests: guests)
        self.room = room
        self.name = try text("name")
        self.email = try text("email")
        guard !name.isEmpty else { throw InvalidInput("name must not be empty") }
        guard email.contains("@") else { throw InvalidInput("email must be an email address") }
    }

    /// Whether `booking` was made for these fields.
    func matches(_ booking: SampleBooking) -> Bool {
        room == booking.room && stay.checkin.description == booking.checkin
            && stay.checkout.description == booking.checkout && stay.guests == booking.guests
            && name == booking.name && email == booking.email
    }
}
