import Foundation

/// The bytes of work waiting for the ledger — deliveries being stored, records of rejected ones —
/// with a limit. A store outlives its request when the ledger stalls (the request is answered at
/// the acknowledgement deadline, the store goes on), and Chatwoot's retries bring more: without
/// a limit, a long stall would hold every body of it in memory. Past the limit a delivery is
/// refused at once (429, which Chatwoot retries like a 500) and holds nothing once answered.
final class IngestBacklog: @unchecked Sendable {
    enum Admission: Equatable {
        /// `refusedWhileFull`: how many were refused while the backlog was full, when this
        /// admission is the first since it drained to half its limit (log it); 0 otherwise.
        case admitted(refusedWhileFull: Int)
        /// `first`: the first refusal since the backlog was last drained (log it).
        case refused(first: Bool)
    }

    /// What a waiting delivery costs beyond its body: its task, its record's meta, its request.
    static let overhead = 1024

    let limit: Int
    // Guarded by `lock`.
    private let lock = NSLock()
    private var bytes = 0
    /// Refusals since the backlog was last drained; non-zero while it counts as full. It counts
    /// as full until it drains to half its limit, so a backlog hovering at its limit does not
    /// report "full" and "taking deliveries again" on every release.
    private var refusedWhileFull = 0

    init(limit: Int) { self.limit = limit }

    /// Admits `size` bytes unless they would take the backlog past its limit. An empty backlog
    /// admits any delivery, so a limit below the body limit never refuses everything.
    func admit(_ size: Int) -> Admission {
        lock.lock()
        defer { lock.unlock() }
        guard bytes == 0 || bytes + size <= limit else {
            refusedWhileFull += 1
            return .refused(first: refusedWhileFull == 1)
        }
        bytes += size
        let refused = refusedWhileFull
        guard refused > 0, bytes <= limit / 2 else { return .admitted(refusedWhileFull: 0) }
        refusedWhileFull = 0
        return .admitted(refusedWhileFull: refused)
    }

    /// The admitted work has ended (its record is durable, or failed).
    func release(_ size: Int) {
        lock.lock()
        bytes -= size
        lock.unlock()
    }

    /// Bytes admitted and not yet released.
    var waitingBytes: Int { lock.withLock { bytes } }
}
