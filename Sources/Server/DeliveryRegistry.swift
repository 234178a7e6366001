import Ledger

/// Remembers which deliveries are stored, so a redelivery is acknowledged without being
/// stored (and acted on) twice — also across restarts, because the window is reloaded from
/// the ledger — and so two copies racing each other are resolved in order.
actor DeliveryRegistry {
    enum Claim: Sendable {
        /// First sighting: store it, then ``commit(_:seq:)`` or ``release(_:)``.
        case new
        /// Already stored at this seq.
        case duplicate(of: Seq)
    }

    private enum State {
        case inFlight([CheckedContinuation<Void, Never>])
        case stored(Seq)
    }

    private var states: [String: State] = [:]
    private var order: [String] = []
    private var orderStart = 0
    private let capacity: Int

    init(capacity: Int) { self.capacity = max(capacity, 1) }

    /// Claims `key`. When another request holds it, waits for that one to finish first.
    func claim(_ key: String) async -> Claim {
        while true {
            switch states[key] {
            case nil:
                states[key] = .inFlight([])
                return .new
            case .stored(let seq):
                return .duplicate(of: seq)
            case .inFlight(var waiters):
                await withCheckedContinuation { continuation in
                    waiters.append(continuation)
                    states[key] = .inFlight(waiters)
                }
            }
        }
    }

    /// The seq `key` was stored at; nil when it is not stored (or still being stored). Never waits.
    func storedSeq(_ key: String) -> Seq? {
        if case .stored(let seq)? = states[key] { return seq }
        return nil
    }

    /// The seq the first stored one of `keys` was stored at.
    func storedSeq(anyOf keys: [String]) -> Seq? {
        keys.lazy.compactMap { self.storedSeq($0) }.first
    }

    func commit(_ key: String, seq: Seq) {
        wake(key)
        remember(key, seq)
    }

    /// The store failed: forget the claim so Chatwoot's retry is treated as new.
    func release(_ key: String) {
        wake(key)
        states[key] = nil
    }

    /// Records deliveries found in the ledger at start-up, oldest first.
    func restore(_ deliveries: [(String, Seq)]) {
        for (key, seq) in deliveries { remember(key, seq) }
    }

    var count: Int { states.count }

    private func wake(_ key: String) {
        if case .inFlight(let waiters)? = states[key] {
            states[key] = nil
            for waiter in waiters { waiter.resume() }
        }
    }

    private func remember(_ key: String, _ seq: Seq) {
        if states[key] == nil { order.append(key) }
        states[key] = .stored(seq)
        while order.count - orderStart > capacity {
            states[order[orderStart]] = nil
            orderStart += 1
        }
        if orderStart > capacity { // compact now and then; amortized O(1)
            order.removeFirst(orderStart)
            orderStart = 0
        }
    }
}
