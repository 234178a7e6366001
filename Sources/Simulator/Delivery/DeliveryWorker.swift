import AsyncHTTPClient
import HTTPSupport
import Chatwoot
import Foundation
import Logging
import NIOCore
import NIOHTTP1

/// Performs delivery jobs like Chatwoot's `AgentBots::WebhookJob` and `Webhooks::Trigger`
/// (docs/chatwoot-protocol.md §3): one POST per attempt with the delivery id, and the timestamp and signature
/// when the bot has a secret (none of them for Chatwoot before v4.13, ``DeliveryConfiguration/identifiesDeliveries``).
///
/// Jobs run concurrently, as Sidekiq jobs do. A 2xx answer ends a job. 429 and 500 are retried
/// after ``DeliveryConfiguration/retryDelay``, up to ``DeliveryConfiguration/maximumAttempts``
/// attempts in total. Any other answer, a timeout or a connection error fails the job at once;
/// a failed `message_*` job then runs Chatwoot's failure handling through `onFailure`.
struct DeliveryWorker: Sendable {
    let queue: DeliveryQueue
    let httpClient: HTTPClient
    let configuration: DeliveryConfiguration
    let now: @Sendable () -> Date
    /// Called with the message id of a failed `message_created` / `message_updated` job, before
    /// the job is marked finished.
    let onFailure: @Sendable (_ messageId: Int) async -> Void
    let logger: Logger

    /// Performs jobs until the job stream ends or the task is cancelled.
    func run() async {
        await withDiscardingTaskGroup { group in
            for await job in queue.jobs {
                group.addTask { await perform(job) }
            }
        }
    }

    private func perform(_ job: DeliveryJob) async {
        var logger = self.logger
        logger[metadataKey: "chatwoot.delivery"] = "\(job.deliveryId.uuidString.lowercased())"
        logger[metadataKey: "chatwoot.event"] = "\(job.event)"
        if configuration.queueLatency > .zero, !(await pause(configuration.queueLatency, before: job)) { return }
        var number = 1
        while true {
            let attempt = await post(job, number: number)
            queue.record(attempt, ofDelivery: job.sequence)
            // Cut off by the simulator stopping: not the bot's failure, so no failure handling
            // (which would open the conversation and queue events nobody delivers).
            if Task.isCancelled, attempt.status == nil {
                queue.finish(job.sequence, outcome: .failed)
                return
            }
            if let status = attempt.status, (200...299).contains(status) {
                logger.debug("Webhook delivered", metadata: ["http.status": "\(status)"])
                queue.finish(job.sequence, outcome: .delivered)
                return
            }
            if let status = attempt.status, DeliveryConfiguration.isRetryable(status),
                number < configuration.maximumAttempts
            {
                logger.info("Webhook will be retried", metadata: ["http.status": "\(status)", "attempt": "\(number)"])
                guard await pause(configuration.retryDelay, before: job) else { return }
                number += 1
                continue
            }
            logger.debug(
                "Webhook failed",
                metadata: ["http.status": "\(attempt.status.map(String.init) ?? "none")", "attempt": "\(number)"]
            )
            let isMessageEvent =
                job.event == WebhookEvent.Name.messageCreated || job.event == WebhookEvent.Name.messageUpdated
            if isMessageEvent, let messageId = job.messageId {
                await onFailure(messageId)
            }
            queue.finish(job.sequence, outcome: .failed)
            return
        }
    }

    /// Waits `duration` before `job`'s next attempt; false when cancelled (the simulator is
    /// stopping), having ended the job as failed.
    private func pause(_ duration: Duration, before job: DeliveryJob) async -> Bool {
        do {
            try await Task.sleep(for: duration)
            return true
        } catch {
            queue.finish(job.sequence, outcome: .failed)
            return false
        }
    }

    private func post(_ job: DeliveryJob, number: Int) async -> WebhookDelivery.Attempt {
        var request = HTTPClientRequest(url: job.url.absoluteString)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "Accept", value: "application/json")
        var timestamp: Int64?
        var signature: String?
        if configuration.identifiesDeliveries { // before v4.13: neither the id nor a signature
            request.headers.add(name: WebhookSignature.deliveryHeaderName, value: job.deliveryId.uuidString.lowercased())
            if let secret = job.secret {
                let seconds = Int64(now().timeIntervalSince1970.rounded(.down))
                let signed = WebhookSignature(secret: secret).sign(body: job.body, timestamp: seconds)
                request.headers.add(name: WebhookSignature.timestampHeaderName, value: String(seconds))
                request.headers.add(name: WebhookSignature.signatureHeaderName, value: signed)
                timestamp = seconds
                signature = signed
            }
        }
        request.body = .bytes(ByteBuffer(bytes: job.body))

        let clock = ContinuousClock()
        let start = clock.now
        var status: Int?
        var failure: String?
        do {
            let response = try await httpClient.execute(request, timeout: TimeAmount(configuration.timeout))
            status = Int(response.status.code)
            // Chatwoot ignores the body; read it so the connection can be reused.
            for try await _ in response.body {}
        } catch {
            failure = String(describing: error)
        }
        return WebhookDelivery.Attempt(
            number: number,
            status: status,
            error: status == nil ? failure : nil,
            latency: start.duration(to: clock.now),
            timestamp: timestamp,
            signature: signature
        )
    }
}

