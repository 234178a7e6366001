import Chatwoot

/// A hotel booking made through ``SampleBackends``' `POST /bookings`.
public struct SampleBooking: Sendable, Hashable {
    /// `BK-0001`, `BK-0002`… in booking order.
    public var reference: String
    /// `standard` or `deluxe`.
    public var room: String
    /// `YYYY-MM-DD`.
    public var checkin: String
    /// `YYYY-MM-DD`, after ``checkin``.
    public var checkout: String
    public var guests: Int
    public var name: String
    public var email: String
    public var nights: Int
    /// The price of the stay, in ``currency``.
    public var total: Int
    public var currency: String
    /// The `Idempotency-Key` it was made with.
    public var idempotencyKey: String

    /// The body of the booking's answer.
    var json: JSONValue {
        [
            "reference": .string(reference),
            "status": "confirmed",
            "room": .string(room),
            "checkin": .string(checkin),
            "checkout": .string(checkout),
            "guests": .int(guests),
            "name": .string(name),
            "email": .string(email),
            "nights": .int(nights),
            "total": .int(total),
            "currency": .string(currency),
        ]
    }
}
