import Chatwoot
import Foundation
import NIOConcurrencyHelpers

/// The simulated Sidekiq queue: accepts webhook jobs, keeps a record of every delivery, and lets
/// callers await the moment when every job created so far has finished.
///
/// ``enqueue(_:url:secret:)`` is synchronous so that the world's owner can enqueue in event order.
/// The jobs are performed by ``DeliveryWorker``, which reads ``jobs``.
final class DeliveryQueue: Sendable {
    private struct State {
        var deliveries: [WebhookDelivery] = []
        /// Jobs enqueued and not yet finished, including their scheduled retries.
        var outstanding = 0
        var idleWaiters: [CheckedContinuation<Void, Never>] = []
        var isShutDown = false
    }

    let jobs: AsyncStream<DeliveryJob>
    private let continuation: AsyncStream<DeliveryJob>.Continuation
    private let state = NIOLockedValueBox(State())
    private let makeDeliveryId: @Sendable () -> UUID
    private let signal: ChangeSignal

    init(makeDeliveryId: @escaping @Sendable () -> UUID, signal: ChangeSignal) {
        (jobs, continuation) = AsyncStream.makeStream(of: DeliveryJob.self)
        self.makeDeliveryId = makeDeliveryId
        self.signal = signal
    }

    /// Records a delivery and schedules its job. Does nothing when `url` is `nil`: Chatwoot makes
    /// no POST for a blank `outgoing_url` (§2.1).
    func enqueue(_ dispatch: WebhookDispatch, url: URL?, secret: String?) {
        guard let url else { return }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // A JSONValue built by the world holds only finite numbers, so encoding cannot fail.
        let body = (try? encoder.encode(dispatch.payload)) ?? Data("{}".utf8)
        let job = state.withLockedValue { state in
            let job = DeliveryJob(
                sequence: state.deliveries.count + 1,
                deliveryId: makeDeliveryId(),
                event: dispatch.event,
                body: body,
                url: url,
                secret: secret,
                messageId: dispatch.messageId
            )
            state.deliveries.append(
                WebhookDelivery(
                    sequence: job.sequence,
                    deliveryId: job.deliveryId,
                    event: job.event,
                    body: body,
                    accountId: dispatch.accountId,
                    conversationId: dispatch.conversationDisplayId,
                    messageId: dispatch.messageId,
                    attempts: [],
                    outcome: .inFlight
                )
            )
            state.outstanding += 1
            return job
        }
        continuation.yield(job)
        signal.notify()
    }

    func record(_ attempt: WebhookDelivery.Attempt, ofDelivery sequence: Int) {
        state.withLockedValue { $0.deliveries[sequence - 1].attempts.append(attempt) }
        signal.notify()
    }

    /// Marks a job finished. Follow-up jobs (from failure handling) must be enqueued before this,
    /// so that ``waitUntilIdle()`` covers them.
    func finish(_ sequence: Int, outcome: WebhookDelivery.Outcome) {
        let waiters = state.withLockedValue { state -> [CheckedContinuation<Void, Never>] in
            state.deliveries[sequence - 1].outcome = outcome
            state.outstanding -= 1
            guard state.outstanding == 0 else { return [] }
            defer { state.idleWaiters.removeAll() }
            return state.idleWaiters
        }
        for waiter in waiters { waiter.resume() }
        signal.notify()
    }

    /// Returns when every job enqueued so far, and every job those caused, has finished (the bot
    /// answered, or the retries and failure handling are done). Returns at once when idle.
    func waitUntilIdle() async {
        await withCheckedContinuation { continuation in
            let idle = state.withLockedValue { state in
                if state.outstanding == 0 || state.isShutDown { return true }
                state.idleWaiters.append(continuation)
                return false
            }
            if idle { continuation.resume() }
        }
    }

    /// Every delivery so far, in creation order.
    var deliveries: [WebhookDelivery] {
        state.withLockedValue { $0.deliveries }
    }

    /// Ends the job stream and releases every waiter: the worker is stopping, so unfinished jobs
    /// will never finish.
    func shutDown() {
        continuation.finish()
        let waiters = state.withLockedValue { state in
            state.isShutDown = true
            defer { state.idleWaiters.removeAll() }
            return state.idleWaiters
        }
        for waiter in waiters { waiter.resume() }
    }
}
