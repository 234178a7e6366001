import Hummingbird
import Logging
import NIOConcurrencyHelpers

/// Runs the simulator's HTTP server inside the simulator's service and lets callers stop it and
/// start it again on the same port, to play "Chatwoot is down".
///
/// ``run()`` starts the server on the configured port at once, then obeys start/stop commands
/// until the command stream ends or the task is cancelled. Stopping cancels the server: the
/// listening socket and every open connection are closed, and requests in progress get no answer.
final class ServerSupervisor: Sendable {
    private enum Command: Sendable {
        case start(CheckedContinuation<Int, any Error>)
        case stop(CheckedContinuation<Void, Never>)
    }

    private enum ServeOutcome {
        case stopped(CheckedContinuation<Void, Never>)
        case startRequested(CheckedContinuation<Int, any Error>)
        case finished
    }

    private struct State {
        /// The bound port, once known; restarts reuse it.
        var port: Int?
        var isRunning = false
        /// The result of the first start, for ``ready()``.
        var firstStart: Result<Int, SimulatorError>?
        var readyWaiters: [CheckedContinuation<Int, any Error>] = []
    }

    private let host: String
    private let initialPort: Int
    private let responder: SimulatorResponder
    private let logger: Logger
    private let commands: AsyncStream<Command>
    private let commandContinuation: AsyncStream<Command>.Continuation
    private let state = NIOLockedValueBox(State())

    init(host: String, port: Int, responder: SimulatorResponder, logger: Logger) {
        self.host = host
        self.initialPort = port
        self.responder = responder
        self.logger = logger
        (commands, commandContinuation) = AsyncStream.makeStream(of: Command.self)
    }

    /// The bound port, once the server has started for the first time.
    var port: Int? { state.withLockedValue { $0.port } }

    var isRunning: Bool { state.withLockedValue { $0.isRunning } }

    /// Waits for the first start and returns the bound port.
    /// - Throws: ``SimulatorError/Code/serverNotRunning`` when the server could not bind.
    func ready() async throws -> Int {
        try await withCheckedThrowingContinuation { continuation in
            let result = state.withLockedValue { state -> Result<Int, SimulatorError>? in
                if state.firstStart == nil { state.readyWaiters.append(continuation) }
                return state.firstStart
            }
            if let result { continuation.resume(with: result) }
        }
    }

    /// Starts the server again on its port; returns at once if it is running.
    /// - Throws: ``SimulatorError/Code/serverNotRunning`` when binding fails or the simulator is not running.
    func start() async throws -> Int {
        try await withCheckedThrowingContinuation { continuation in
            if case .terminated = commandContinuation.yield(.start(continuation)) {
                continuation.resume(throwing: SimulatorError(.serverNotRunning, "The simulator service is not running"))
            }
        }
    }

    /// Stops the server and returns once its socket is closed. Returns at once if it is stopped.
    func stop() async {
        await withCheckedContinuation { continuation in
            if case .terminated = commandContinuation.yield(.stop(continuation)) {
                continuation.resume()
            }
        }
    }

    /// Ends ``run()``: the server stops and later commands are refused.
    func finish() {
        commandContinuation.finish()
    }

    /// Serves and obeys commands until ``finish()`` or cancellation.
    func run() async {
        var iterator = commands.makeAsyncIterator()
        var pendingStart: CheckedContinuation<Int, any Error>?
        var shouldStart = true
        loop: while !Task.isCancelled {
            if shouldStart {
                shouldStart = false
                switch await serve(reporting: pendingStart, commands: &iterator) {
                case .stopped(let done): done.resume()
                case .startRequested(let request): pendingStart = request; shouldStart = true; continue loop
                case .finished: break loop
                }
                pendingStart = nil
            }
            guard let command = await iterator.next() else { break loop }
            switch command {
            case .start(let request): pendingStart = request; shouldStart = true
            case .stop(let done): done.resume()
            }
        }
        failReadyWaiters()
        // Refuse commands that can no longer be served.
        commandContinuation.finish()
        while let command = await iterator.next() {
            switch command {
            case .start(let request): request.resume(throwing: SimulatorError(.serverNotRunning, "The simulator stopped"))
            case .stop(let done): done.resume()
            }
        }
    }

    /// Runs one server instance until a stop command, a start command after the instance failed,
    /// the end of the command stream, or cancellation.
    private func serve(
        reporting request: CheckedContinuation<Int, any Error>?,
        commands iterator: inout AsyncStream<Command>.Iterator
    ) async -> ServeOutcome {
        let port = state.withLockedValue { $0.port } ?? initialPort
        let report = StartReport(request)
        defer {
            // Stopped before it ever ran: the start request must still get an answer.
            report.resolve(.failure(SimulatorError(.serverNotRunning, "The server stopped before it started")))
        }
        return await withTaskGroup(of: Void.self) { group in
            group.addTask {
                let application = Application(
                    responder: self.responder,
                    configuration: .init(address: .hostname(self.host, port: port), serverName: nil, reuseAddress: true),
                    onServerRunning: { channel in
                        self.didStart(port: channel.localAddress?.port ?? port, report: report)
                    },
                    logger: self.logger
                )
                do {
                    try await application.run()
                } catch {
                    self.didFail(error, port: port, report: report)
                }
                self.state.withLockedValue { $0.isRunning = false }
            }
            while let command = await iterator.next() {
                switch command {
                case .start(let request):
                    if let port = state.withLockedValue({ $0.isRunning ? $0.port : nil }) {
                        request.resume(returning: port)
                    } else {
                        group.cancelAll()
                        await group.waitForAll()
                        return .startRequested(request)
                    }
                case .stop(let done):
                    group.cancelAll()
                    await group.waitForAll()
                    return .stopped(done)
                }
            }
            group.cancelAll()
            return .finished
        }
    }

    private func didStart(port: Int, report: StartReport) {
        let waiters = state.withLockedValue { state -> [CheckedContinuation<Int, any Error>] in
            state.port = port
            state.isRunning = true
            guard state.firstStart == nil else { return [] }
            state.firstStart = .success(port)
            defer { state.readyWaiters.removeAll() }
            return state.readyWaiters
        }
        logger.debug("Simulator server running", metadata: ["http.port": "\(port)"])
        for waiter in waiters { waiter.resume(returning: port) }
        report.resolve(.success(port))
    }

    private func didFail(_ error: any Error, port: Int, report: StartReport) {
        let failure = SimulatorError(.serverNotRunning, "The server on \(host):\(port) failed: \(error)")
        let waiters = state.withLockedValue { state -> [CheckedContinuation<Int, any Error>] in
            guard state.firstStart == nil else { return [] }
            state.firstStart = .failure(failure)
            defer { state.readyWaiters.removeAll() }
            return state.readyWaiters
        }
        for waiter in waiters { waiter.resume(throwing: failure) }
        report.resolve(.failure(failure))
    }

    private func failReadyWaiters() {
        let failure = SimulatorError(.serverNotRunning, "The simulator stopped before its server started")
        let waiters = state.withLockedValue { state -> [CheckedContinuation<Int, any Error>] in
            state.isRunning = false
            guard state.firstStart == nil else { return [] }
            state.firstStart = .failure(failure)
            defer { state.readyWaiters.removeAll() }
            return state.readyWaiters
        }
        for waiter in waiters { waiter.resume(throwing: failure) }
    }
}
