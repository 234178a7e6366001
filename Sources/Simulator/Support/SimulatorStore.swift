import Foundation

/// Owns the ``SimulatorWorld`` and hands its webhooks to the delivery queue, in event order,
/// after every change.
actor SimulatorStore {
    private var world: SimulatorWorld
    private let queue: DeliveryQueue
    private let signal: ChangeSignal
    private let now: @Sendable () -> Date

    init(world: SimulatorWorld, queue: DeliveryQueue, signal: ChangeSignal, now: @escaping @Sendable () -> Date) {
        self.world = world
        self.queue = queue
        self.signal = signal
        self.now = now
    }

    /// Answers a REST call of the bot.
    func handle(_ request: BotRequest) -> RESTResponse {
        let response = world.handle(request, now: now())
        flush()
        return response
    }

    /// Whether `token` is the bot's access token.
    func isValidToken(_ token: String?) -> Bool {
        token == world.bot.accessToken
    }

    /// Runs a change with the current time, then schedules the webhooks it caused (also when it throws).
    func mutate<T: Sendable>(
        _ body: @Sendable (inout SimulatorWorld, Date) throws(SimulatorError) -> T
    ) throws(SimulatorError) -> T {
        defer { flush() }
        return try body(&world, now())
    }

    /// Runs a change that cannot fail, then schedules the webhooks it caused.
    func update(_ body: @Sendable (inout SimulatorWorld, Date) -> Void) {
        body(&world, now())
        flush()
    }

    /// Reads the current state.
    func read<T: Sendable>(_ body: @Sendable (SimulatorWorld) throws(SimulatorError) -> T) throws(SimulatorError) -> T {
        try body(world)
    }

    private func flush() {
        let dispatches = world.drainDispatches()
        for dispatch in dispatches {
            queue.enqueue(dispatch, url: world.bot.outgoingURL, secret: world.bot.secret)
        }
        signal.notify()
    }
}
