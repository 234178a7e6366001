import Chatwoot
import Crypto
import Domain
import Foundation
import JSONScan
import Ledger
import Logging
import Synchronization

/// One webhook delivery as it arrived.
public struct WebhookDelivery: Sendable {
    public var body: [UInt8]
    public var contentType: String?
    public var deliveryID: String?
    public var signature: String?
    public var signatureTimestamp: String?

    public init(body: [UInt8], contentType: String? = nil, deliveryID: String? = nil, signature: String? = nil, signatureTimestamp: String? = nil) {
        self.body = body
        self.contentType = contentType
        self.deliveryID = deliveryID
        self.signature = signature
        self.signatureTimestamp = signatureTimestamp
    }
}

/// What happened to a delivery, and the HTTP status that says so.
public enum IngestOutcome: Sendable, Equatable {
    case stored(seq: Seq)
    case duplicate(of: Seq, seq: Seq)
    case rejected(status: Int, reason: String)
    /// The ledger could not store it: 500, so Chatwoot retries.
    case failed(message: String)
    /// Not taken: the deliveries already waiting for the ledger fill the backlog. 429, which
    /// Chatwoot retries like a 500 (docs/chatwoot-protocol.md §3.4).
    case busy(message: String)

    public var httpStatus: Int {
        switch self {
        case .stored, .duplicate: 200
        case .rejected(let status, _): status
        case .failed: 500
        case .busy: 429
        }
    }
}

/// A compact form of each webhook, derived at ingest and recorded in its meta beside the raw
/// body (the projector's digest, so that replays and rebuilds need not scan every body again).
/// Supplied by the assembly, which knows the projector; the raw body stays the source of truth.
public struct WebhookCompactForm: Sendable {
    /// Recorded with the form, so a reader can tell whether it was cut for what it reads.
    public var name: String
    /// The form of a body (a JSON value), or nil for none.
    public var derive: @Sendable (UnsafeRawBufferPointer) -> [UInt8]?

    public init(name: String, derive: @escaping @Sendable (UnsafeRawBufferPointer) -> [UInt8]?) {
        self.name = name
        self.derive = derive
    }
}

/// The front door: makes each authentic delivery durable in the ledger before it is
/// acknowledged, and acknowledges every authentic JSON object — ignored events and the bot's
/// own echoes included — because any other status on a message event makes Chatwoot hand the
/// conversation to a human (docs/chatwoot-protocol.md §3.4).
///
/// Order of checks: size (413, by the HTTP layer) → signature (401) → JSON object (400) →
/// duplicate (200, recorded cheaply) → append (200 once durable, 500 if the ledger fails).
public final class WebhookIngest: Sendable {
    private let ledger: any LedgerStore
    private let signature: WebhookSignature?
    private let registry: DeliveryRegistry
    private let metrics: IngestMetrics
    private let logger: Logger
    private let now: @Sendable () -> Date
    private let compactForm: WebhookCompactForm?
    private let acknowledgement: DeadlineQueue<IngestOutcome>
    private let backlog: IngestBacklog
    private let unauthenticatedRejections = RejectionSampler()

    /// Bytes of a rejected body kept in the ledger for diagnosis.
    static let excerptLimit = 512

    /// Whether a delivery is still on its way into the ledger, one already answered 500 at the
    /// acknowledgement deadline included: until it lands, the ledger's head does not show it.
    public var isStoring: Bool { backlog.waitingBytes > 0 }

    public init(ledger: any LedgerStore, configuration: ServerConfiguration, metrics: IngestMetrics, logger: Logger,
                now: @escaping @Sendable () -> Date = Date.init, compactForm: WebhookCompactForm? = nil) {
        self.compactForm = compactForm
        self.ledger = ledger
        signature = configuration.webhookSignature
        // A signed delivery keeps two keys (its id and its signature): room for as many deliveries.
        registry = DeliveryRegistry(capacity: configuration.deduplicationWindow * (configuration.webhookSignature == nil ? 1 : 2))
        acknowledgement = DeadlineQueue(deadline: configuration.acknowledgementDeadline)
        backlog = IngestBacklog(limit: configuration.backlogLimit)
        self.metrics = metrics
        self.logger = logger
        self.now = now
    }

    public func ingest(_ delivery: WebhookDelivery) async -> IngestOutcome {
        let received = now()
        var signedAt: Int64?
        if let signature {
            do {
                signedAt = try signature.verify(body: delivery.body, signatureHeader: delivery.signature,
                                                timestampHeader: delivery.signatureTimestamp, now: received)
            } catch {
                return await reject(delivery, status: 401, reason: "signature_\(error.code)", detail: error.message, keepExcerpt: false, at: received)
            }
        }
        let facts: WebhookFacts
        do {
            facts = try delivery.body.withUnsafeBytes { bytes throws(JSONScanner.Error) in try WebhookFacts(body: bytes) }
        } catch {
            return await reject(delivery, status: 400, reason: delivery.body.isEmpty ? "empty_body" : "not_a_json_object", detail: "\(error)", keepExcerpt: true, at: received)
        }
        let event = facts.event ?? "unknown"
        let key = Self.deliveryKey(delivery.deliveryID) ?? delivery.body.withUnsafeBytes { facts.contentKey(body: $0) }
        // The delivery id is not signed: a captured request sent again within the timestamp
        // window under a new id (or none) would pass as new. Its signature is the same, though,
        // while Chatwoot signs each retry anew.
        let signatureKey = signedAt == nil ? nil : delivery.signature.map(Self.signatureKey)
        let keys = [signatureKey, key].compactMap { $0 } // claimed in this order by every delivery
        var meta: [(String, JSONWriter.Value)] = [("event", .string(event)), ("dedupe", .string(key))]
        if let signatureKey { meta.append((WebhookIngest.signatureKeyName, .string(signatureKey))) }
        if let id = delivery.deliveryID { meta.append(("delivery", .string(String(id.prefix(200))))) }
        if let type = delivery.contentType { meta.append(("content_type", .string(String(type.prefix(200))))) }
        if let signedAt { meta.append(("signed_at", .int(signedAt))) }
        let stream = StreamName.conversation(account: facts.account, conversation: facts.conversation)
        let time = Timestamp.micros(received)
        let fields = meta
        let size = delivery.body.count + IngestBacklog.overhead
        guard admit(size) else {
            // A redelivery of a durable delivery is safe to acknowledge unrecorded; a 429 could
            // hand its conversation to a human once Chatwoot's retries run out.
            if let original = await registry.storedSeq(anyOf: keys) {
                metrics.delivered(event: event, outcome: "duplicate")
                metrics.duplicates.increment()
                logger.info("duplicate delivery not recorded: the backlog is full", metadata: ["webhook.dedupe": "\(key)", "ledger.original_seq": "\(original)"])
                return .duplicate(of: original, seq: original)
            }
            metrics.delivered(event: event, outcome: "busy")
            logger.info("delivery answered 429: the backlog is full", metadata: ["webhook.dedupe": "\(key)", "webhook.event": "\(event)"])
            return .busy(message: "the work waiting for the ledger fills the backlog (\(backlog.limit) bytes)")
        }
        if let outcome = await withinDeadline(holding: size, { await self.store(delivery, keys: keys, event: event, meta: fields, stream: stream, time: time) }) {
            return outcome
        }
        // Chatwoot gives up after 5 s and then hands a message's conversation to a human, but it
        // retries a 500. The store goes on: once durable, the retry is recognised as a duplicate.
        metrics.late.increment()
        logger.warning("the ledger did not store the delivery in time; answering 500 so Chatwoot retries",
                       metadata: ["webhook.dedupe": "\(key)", "deadline": "\(acknowledgement.deadline ?? .zero)"])
        return .failed(message: "the ledger did not store the delivery within \(acknowledgement.deadline ?? .zero)")
    }

    /// Admits `size` bytes of work into the backlog; false when it is full. Logs when it fills
    /// up and when it has drained.
    private func admit(_ size: Int) -> Bool {
        switch backlog.admit(size) {
        case .admitted(let refused):
            if refused > 0 { logger.notice("the backlog has drained: taking deliveries again", metadata: ["backlog.refused": "\(refused)"]) }
            return true
        case .refused(let first):
            if first {
                logger.warning("the ledger is behind: the work waiting for it fills the backlog (--backlog-limit); new deliveries are answered 429 until it drains",
                               metadata: ["backlog.bytes": "\(backlog.waitingBytes)", "backlog.limit": "\(backlog.limit)"])
            }
            return false
        }
    }

    /// `work`'s outcome if it comes within the acknowledgement deadline, else nil; the work goes on
    /// either way and holds the `size` bytes ``admit(_:)`` took in the backlog until it ends.
    private func withinDeadline(holding size: Int, _ work: @escaping @Sendable () async -> IngestOutcome) async -> IngestOutcome? {
        await acknowledgement.first {
            defer { self.backlog.release(size) }
            return await work()
        }
    }

    /// Claims the delivery's keys and appends it, or records it as a duplicate when any of them
    /// is stored. Every delivery claims its keys in the same order (the signature's first), so
    /// two copies never wait for each other's.
    private func store(_ delivery: WebhookDelivery, keys: [String], event: String, meta: [(String, JSONWriter.Value)],
                       stream: String, time: Int64) async -> IngestOutcome {
        var meta = meta
        var claimed: [String] = []
        var duplicateOf: Seq?
        for key in keys {
            if case .duplicate(let original) = await registry.claim(key) {
                duplicateOf = original
                break
            }
            claimed.append(key)
        }
        let key = keys.last ?? ""
        if let original = duplicateOf {
            // A retry's own signature is the original's too: a captured retry is a copy as well.
            for key in claimed { await registry.commit(key, seq: original) }
            return await recordDuplicate(of: original, key: key, event: event, meta: meta, stream: stream, time: time)
        }
        if let compactForm, let form = delivery.body.withUnsafeBytes(compactForm.derive) {
            meta += [(WebhookMeta.compactFormName, .string(compactForm.name)), (WebhookMeta.compactForm, .raw(form))]
        }
        let draft = EventDraft(stream: stream, type: EventType.webhookReceived, time: time, body: delivery.body, meta: JSONWriter.object(meta))
        do {
            let seq = try await append(draft).lowerBound
            for key in claimed { await registry.commit(key, seq: seq) }
            metrics.delivered(event: event, outcome: "stored")
            logger.debug("webhook stored", metadata: ["ledger.seq": "\(seq)", "webhook.event": "\(event)", "webhook.delivery": "\(delivery.deliveryID ?? "-")"])
            return .stored(seq: seq)
        } catch {
            for key in claimed { await registry.release(key) }
            metrics.delivered(event: event, outcome: "failed")
            logger.error("ledger append failed; answering 500 so Chatwoot retries", metadata: ["error": "\(error)"])
            return .failed(message: "the ledger could not store the delivery")
        }
    }

    private func recordDuplicate(of original: Seq, key: String, event: String, meta: [(String, JSONWriter.Value)],
                                 stream: String, time: Int64) async -> IngestOutcome {
        do {
            let draft = EventDraft(stream: stream, type: EventType.webhookDuplicate, time: time, causation: original,
                                   body: [], meta: JSONWriter.object(meta + [("original_seq", .int(Int64(original)))]))
            let seq = try await append(draft).lowerBound
            metrics.delivered(event: event, outcome: "duplicate")
            metrics.duplicates.increment()
            logger.debug("duplicate delivery", metadata: ["ledger.seq": "\(seq)", "ledger.original_seq": "\(original)", "webhook.dedupe": "\(key)"])
            return .duplicate(of: original, seq: seq)
        } catch {
            // The original is durable, so the redelivery is safe to acknowledge even unrecorded.
            logger.info("duplicate delivery not recorded", metadata: ["error": "\(error)"])
            metrics.delivered(event: event, outcome: "duplicate")
            return .duplicate(of: original, seq: original)
        }
    }

    /// Reloads the keys of recent deliveries from the ledger (Chatwoot retries within seconds,
    /// restarts may come between). Returns how many were restored.
    public func restoreRecentDeliveries(head: Seq, window: Int) async throws -> Int {
        guard head > 0 else { return 0 }
        let from = head > Seq(window) ? head - Seq(window) + 1 : 1
        let tail = try ledger.tail(from: from)
        var restored: [(String, Seq)] = []
        var deliveries = 0
        while tail.nextSeq <= head {
            let batch = try await tail.read(through: head, limit: 4096)
            if batch.isEmpty { break }
            for event in batch where event.type == EventType.webhookReceived || event.type == EventType.webhookDuplicate {
                let original = event.type == EventType.webhookReceived ? event.seq : event.causation
                guard let original, original > 0 else { continue }
                let before = restored.count
                event.meta.withUnsafeBytes { meta in
                    for member in (try? JSONScanner.members(of: meta)) ?? [] where member.key == "dedupe" || member.key == Self.signatureKeyName {
                        if let key = try? JSONScanner.string(in: meta, at: member.value) { restored.append((key, original)) }
                    }
                }
                if restored.count > before, event.type == EventType.webhookReceived { deliveries += 1 }
            }
        }
        await registry.restore(restored)
        return deliveries
    }

    private func append(_ draft: EventDraft) async throws -> ClosedRange<Seq> {
        let start = ContinuousClock.now
        let range = try await ledger.append([draft])
        let elapsed = ContinuousClock.now - start
        metrics.appended(seconds: elapsed.inSeconds)
        return range
    }

    fileprivate func reject(_ delivery: WebhookDelivery, status: Int, reason: String, detail: String, keepExcerpt: Bool, at received: Date) async -> IngestOutcome {
        metrics.rejected(reason: reason)
        metrics.delivered(event: "other", outcome: "rejected")
        let rejection = IngestOutcome.rejected(status: status, reason: reason)
        // Anyone can send a request that fails its signature or is too large: such rejections are
        // recorded (and logged) at most once a minute per reason, with how many were left out
        // before, so that a flood cannot grow the append-only ledger; and nothing the sender
        // chose (its delivery id, content type) is kept. The metrics count every one.
        let unauthenticated = status == 401 || status == 413
        var leftOut = 0
        if unauthenticated {
            guard let count = unauthenticatedRejections.admit(reason, at: received) else { return rejection }
            leftOut = count
        }
        var meta: [(String, JSONWriter.Value)] = [("reason", .string(reason)), ("status", .int(Int64(status))),
                                                  ("detail", .string(String(detail.prefix(300)))), ("bytes", .int(Int64(delivery.body.count)))]
        if !unauthenticated, let id = delivery.deliveryID { meta.append(("delivery", .string(String(id.prefix(200))))) }
        if !unauthenticated, let type = delivery.contentType { meta.append(("content_type", .string(String(type.prefix(200))))) }
        if leftOut > 0 { meta.append(("left_out_before", .int(Int64(leftOut)))) }
        let excerpt = keepExcerpt ? Array(delivery.body.prefix(Self.excerptLimit)) : []
        let draft = EventDraft(stream: "", type: EventType.webhookRejected, time: Timestamp.micros(received), body: excerpt, meta: JSONWriter.object(meta))
        logger.info("webhook rejected", metadata: ["http.status": "\(status)", "webhook.reason": "\(reason)", "webhook.left_out_before": "\(leftOut)"])
        // Anyone can send rejected requests: their records wait for the ledger in the backlog too.
        let size = excerpt.count + draft.meta.count + IngestBacklog.overhead
        guard admit(size) else {
            logger.info("rejected delivery not recorded: the backlog is full")
            return rejection
        }
        // The rejection is the answer either way; only its record waits for the ledger, and not
        // past the acknowledgement deadline.
        _ = await withinDeadline(holding: size) {
            do {
                _ = try await self.append(draft)
            } catch {
                self.logger.info("rejected delivery not recorded", metadata: ["error": "\(error)"])
            }
            return rejection
        }
        return rejection
    }

    /// The meta member that holds ``signatureKey(_:)``.
    static let signatureKeyName = "signature_key"

    /// `s:` + a digest of an authentic signature: the same for a copy of one signed request, new
    /// for each of Chatwoot's retries (it signs each attempt with a new timestamp). A digest, so
    /// the ledger holds no value an attacker could present.
    /// Of an authentic signature only: its canonical form (trimmed, lowercased — a verified header
    /// is `sha256=` and 64 hex digits, either case), so a copy under a case variant is the same key.
    static func signatureKey(_ signature: String) -> String {
        let canonical = signature.trimmingCharacters(in: .whitespaces).lowercased()
        return "s:" + Array(Array(SHA256.hash(data: Array(canonical.utf8))).prefix(16)).hexString
    }

    /// `d:` + the delivery id, when Chatwoot sent a usable one (v4.13+).
    static func deliveryKey(_ id: String?) -> String? {
        guard let id = id?.trimmingCharacters(in: .whitespaces), !id.isEmpty, id.utf8.count <= 200 else { return nil }
        return "d:" + id
    }

}

extension WebhookIngest {
    /// A body over the limit: 413, recorded without its bytes.
    public func tooLarge(contentType: String?, deliveryID: String?, limit: Int) async -> IngestOutcome {
        await reject(WebhookDelivery(body: [], contentType: contentType, deliveryID: deliveryID), status: 413,
                     reason: "too_large", detail: "body larger than \(limit) bytes", keepExcerpt: false, at: Date())
    }
}

/// Lets through one rejection per reason a minute and counts the others (see ``WebhookIngest``).
final class RejectionSampler: Sendable {
    static let interval: TimeInterval = 60
    private let state = Mutex<[String: (recorded: Date, leftOut: Int)]>([:])

    /// How many were left out since the last one recorded for `reason`, or nil: leave this one out.
    func admit(_ reason: String, at time: Date) -> Int? {
        state.withLock { state in
            if let last = state[reason], time.timeIntervalSince(last.recorded) < Self.interval, time >= last.recorded {
                state[reason] = (last.recorded, last.leftOut + 1)
                return nil
            }
            let leftOut = state[reason]?.leftOut ?? 0
            state[reason] = (time, 0)
            return leftOut
        }
    }
}
