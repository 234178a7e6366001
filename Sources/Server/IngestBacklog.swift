import Foundation

/// The bytes of deliveries waiting for the ledger, with a limit. A store outlives its request when
/// the ledger stalls (the request is answered at the acknowledgement deadline, the store goes on),
/// and Chatwoot's retries bring more: without a limit, a long stall would hold every body of it in
/// memory. Past the limit a delivery is refused at once (429, which Chatwoot retries like a 500)
/// and holds nothing.
final class IngestBacklog: @unchecked Sendable {
    enum Admission: Equatable {
        /// `refusedBefore`: deliveries refused since the last admission (not 0: the backlog was
        /// full until now; log that it is not any more).
        case admitted(refusedBefore: Int)
        /// `first`: the first refusal since the backlog last admitted one (log it).
        case refused(first: Bool)
    }

    let limit: Int
    // Guarded by `lock`.
    private let lock = NSLock()
    private var bytes = 0
    private var refusedSinceAdmitting = 0

    init(limit: Int) { self.limit = limit }

    /// What a waiting delivery costs beyond its body: its task, its record's meta, its request.
    static let overhead = 1024

    /// Admits `size` bytes unless they would take the backlog past its limit. An empty backlog
    /// admits any delivery, so a limit below the body limit never refuses everything.
    func admit(_ size: Int) -> Admission {
        lock.lock()
        defer { lock.unlock() }
        guard bytes == 0 || bytes + size <= limit else {
            refusedSinceAdmitting += 1
            return .refused(first: refusedSinceAdmitting == 1)
        }
        bytes += size
        defer { refusedSinceAdmitting = 0 }
        return .admitted(refusedBefore: refusedSinceAdmitting)
    }

    /// The admitted delivery's store has ended (durable, or failed).
    func release(_ size: Int) {
        lock.lock()
        bytes -= size
        lock.unlock()
    }

    /// Bytes admitted and not yet released.
    var waitingBytes: Int { lock.withLock { bytes } }
}
