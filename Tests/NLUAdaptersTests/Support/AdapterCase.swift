import Foundation
import NLUAdapters
import Testing

/// What an adapter should make of one canned answer.
enum Expected: Sendable {
    case result(NLUResult)
    /// The failure's kind and status; `retryable` defaults to the kind's rule; `mentions` must
    /// all appear in the message.
    case failure(NLUFailure.Kind, status: Int?, retryable: Bool, retryAfter: Int? = nil, mentions: [String] = [])
}

/// One scenario for a service: the fake service's answer and the expected outcome.
struct AdapterCase: Sendable, CustomTestStringConvertible {
    let name: String
    let response: CannedResponse
    let expected: Expected

    var testDescription: String { name }

    init(_ name: String, _ response: CannedResponse, _ expected: Expected) {
        self.name = name
        self.response = response
        self.expected = expected
    }
}

func check(_ outcome: NLUOutcome, _ expected: Expected, sourceLocation: SourceLocation = #_sourceLocation) {
    switch expected {
    case .result(let result):
        #expect(outcome == .understood(result), sourceLocation: sourceLocation)
    case .failure(let kind, let status, let retryable, let retryAfter, let mentions):
        guard case .failed(let failure) = outcome else {
            Issue.record("Expected a \(kind) failure, got \(outcome)", sourceLocation: sourceLocation)
            return
        }
        #expect(failure.kind == kind, sourceLocation: sourceLocation)
        #expect(failure.status == status, sourceLocation: sourceLocation)
        #expect(failure.retryable == retryable, sourceLocation: sourceLocation)
        #expect(failure.retryAfterSeconds == retryAfter, sourceLocation: sourceLocation)
        #expect(failure.message.count <= NLUFailure.maximumMessageLength, sourceLocation: sourceLocation)
        for mention in mentions {
            #expect(failure.message.contains(mention), "\(failure.message)", sourceLocation: sourceLocation)
        }
    }
}

/// Runs `body` and returns how long it took.
func measure<T>(_ body: () async throws -> T) async rethrows -> (T, Duration) {
    let start = ContinuousClock.now
    let value = try await body()
    return (value, ContinuousClock.now - start)
}

extension RequestLog {
    /// The one request the adapter sent in `scenario`. Nil only for a slow scenario whose client
    /// gave up before the fake server recorded anything: on a loaded machine the server's task
    /// can run after the client's timeout, and the connection is gone by then. Its timeout outcome
    /// is checked all the same, and every other scenario checks the request, which is the same.
    func received(in scenario: AdapterCase) async throws -> RecordedRequest? {
        if let request = await onlyOnceReceived() { return request }
        if requests.isEmpty, (scenario.response.delay ?? .zero) >= TestTiming.slow { return nil }
        throw FakeServerError(description: "expected exactly one request, the fake server recorded \(requests.count)")
    }
}
