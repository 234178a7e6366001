import NIOConcurrencyHelpers

/// Every call a simulated server (Chatwoot, the sample backends) received, in arrival order.
final class RequestLog: Sendable {
    private let requests = NIOLockedValueBox<[RecordedRequest]>([])
    private let signal: ChangeSignal

    init(signal: ChangeSignal) {
        self.signal = signal
    }

    /// Records an arriving call and returns its sequence number (its `sequence` is set here).
    func begin(_ request: RecordedRequest) -> Int {
        let sequence = requests.withLockedValue { requests in
            var request = request
            request.sequence = requests.count + 1
            requests.append(request)
            return request.sequence
        }
        signal.notify()
        return sequence
    }

    /// Records how a call ended.
    func finish(_ sequence: Int, status: Int?, injected: InjectedFailure? = nil) {
        requests.withLockedValue { requests in
            requests[sequence - 1].responseStatus = status
            if let injected { requests[sequence - 1].injectedFailure = injected }
        }
        signal.notify()
    }

    var all: [RecordedRequest] {
        requests.withLockedValue { $0 }
    }
}
