import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Ledger
import LedgerbotTesting
import PostgresLedger
import PostgresLedgerTesting
import PostgresNIO
import Synchronization
import Testing

/// The two implementations of ``LedgerStore``; the conformance suite runs against both.
enum Backend: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case file, postgres
    var testDescription: String { rawValue }
}

/// Where one test's ledger lives, reopenable (a fresh directory or a fresh database).
final class StoreHome: Sendable {
    let backend: Backend
    let directory: TemporaryDirectory?
    let location: PostgresLocation?

    private init(backend: Backend, directory: TemporaryDirectory?, location: PostgresLocation?) {
        self.backend = backend
        self.directory = directory
        self.location = location
    }

    /// nil when the backend is not available here (PostgreSQL without a test cluster, and not required).
    static func make(_ backend: Backend) async throws -> StoreHome? {
        switch backend {
        case .file:
            return StoreHome(backend: backend, directory: TemporaryDirectory(), location: nil)
        case .postgres:
            guard let location = try await TestPostgres.databaseIfAvailable() else { return nil }
            return StoreHome(backend: backend, directory: nil, location: location)
        }
    }

    /// - Parameter appendTimeout: the PostgreSQL append deadline. Most tests check what is stored,
    ///   not how fast, and the production deadline (3 s) is missed when the whole suite shares two
    ///   cores with the cluster; the test of the deadline itself passes the production value.
    func open(appendTimeout: Duration = .seconds(60)) async throws -> any LedgerStore {
        switch backend {
        case .file: return try FileLedger.open(directory: LedgerDirectory(dataPath: directory!.path)).0
        case .postgres:
            var configuration = PostgresLedgerConfiguration()
            configuration.appendTimeout = appendTimeout
            return try await PostgresLedger.open(location!, configuration: configuration)
        }
    }

    func remove() async {
        if let location { await TestPostgres.dropDatabase(location) }
    }
}

/// Runs `body` with a store of `backend` (skipped when the backend is unavailable), closing and
/// removing it afterwards.
func withStore(_ backend: Backend, _ body: (StoreHome, any LedgerStore) async throws -> Void) async throws {
    guard let home = try await StoreHome.make(backend) else { return }
    let store = try await home.open()
    do {
        try await body(home, store)
        await store.close()
        await home.remove()
    } catch {
        await store.close()
        await home.remove()
        throw error
    }
}

func draft(_ text: String, stream: String = "1/1", type: String = "webhook.received", causation: Seq? = nil, meta: String = "") -> EventDraft {
    EventDraft(stream: stream, type: type, time: 1_764_000_000_000_000, causation: causation, body: Array(text.utf8), meta: Array(meta.utf8))
}

/// A TCP proxy in front of the test cluster that can go silent: while frozen it takes every byte
/// and passes none on, either way — as a frozen server or a silent network does (no FIN, no RST,
/// no answer). Closing one side closes the other, so the server sees a client that gave up.
/// (Freezing the server's own processes with SIGSTOP stalls every other test's `DROP DATABASE`,
/// which waits for all backends of the cluster.)
final class SilentProxy: @unchecked Sendable {
    let port: Int
    private let listener: Int32
    private let frozen = Mutex(false)
    private let deafenOnCommit = Mutex(false)
    private let pairs = Mutex<[ProxiedPair]>([])
    private let upstreamPort: Int

    init(to location: PostgresLocation) throws {
        upstreamPort = location.port
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        guard bound == 0, listen(fd, 16) == 0 else { throw FakeError("the proxy cannot listen") }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        listener = fd
        port = Int(UInt16(bigEndian: address.sin_port))
        Thread.detachNewThread { [self] in acceptLoop() }
    }

    /// `location` reached through this proxy.
    func route(_ location: PostgresLocation) -> PostgresLocation {
        var routed = location
        routed.host = "127.0.0.1"
        routed.port = port
        return routed
    }

    /// The next connection to send a COMMIT passes it on but gets no answer from then on: a
    /// commit that reached the server and whose answer was lost.
    func loseTheAnswerToTheNextCommit() { deafenOnCommit.withLock { $0 = true } }

    func freeze() { frozen.withLock { $0 = true } }
    func thaw() { frozen.withLock { $0 = false } }

    /// Closes every connection made so far, as TCP does when it finally gives up (bytes taken
    /// while frozen are lost for good: a client still waiting for their answer would wait forever).
    func giveUp() {
        for pair in pairs.withLock({ $0 }) { pair.close() }
        thaw()
    }

    /// Stops accepting (connections already made stay until either side closes).
    func stop() { shutdown(listener, Int32(SHUT_RDWR)); close(listener) }

    private func acceptLoop() {
        while true {
            let client = accept(listener, nil, nil)
            guard client >= 0 else { return }
            let upstream = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            address.sin_port = UInt16(upstreamPort).bigEndian
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(upstream, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard connected == 0 else { close(client); close(upstream); continue }
            let ends = ProxiedPair(client: client, upstream: upstream)
            pairs.withLock { $0.append(ends) }
            Thread.detachNewThread { [self] in pump(from: client, to: upstream, ends, requests: true) }
            Thread.detachNewThread { [self] in pump(from: upstream, to: client, ends, requests: false) }
        }
    }

    private func pump(from source: Int32, to destination: Int32, _ ends: ProxiedPair, requests: Bool) {
        var buffer = [UInt8](repeating: 0, count: 65536)
        let commit = Array("COMMIT".utf8)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(source, $0.baseAddress, $0.count) }
            guard count > 0 else { break }
            if frozen.withLock({ $0 }) { continue } // taken, never passed on
            if requests, count >= commit.count, (0...(count - commit.count)).contains(where: { buffer[$0..<$0 + commit.count].elementsEqual(commit) }),
               deafenOnCommit.withLock({ let armed = $0; $0 = false; return armed }) {
                ends.deaf.withLock { $0 = true }
            }
            if !requests, ends.deaf.withLock({ $0 }) { continue } // the answer is lost
            var sent = 0
            while sent < count {
                let written = buffer.withUnsafeBytes { write(destination, $0.baseAddress! + sent, count - sent) }
                guard written > 0 else { ends.close(); return }
                sent += written
            }
        }
        ends.close()
    }
}

/// The two sockets of one proxied connection, closed together once.
private final class ProxiedPair: Sendable {
    let client: Int32, upstream: Int32
    private let closed = Mutex(false)
    /// Answers from the server are dropped (``SilentProxy/loseTheAnswerToTheNextCommit()``).
    let deaf = Mutex(false)
    init(client: Int32, upstream: Int32) { self.client = client; self.upstream = upstream }
    func close() {
        guard closed.withLock({ let was = $0; $0 = true; return !was }) else { return }
        shutdown(client, Int32(SHUT_RDWR)); shutdown(upstream, Int32(SHUT_RDWR))
        Glibc.close(client); Glibc.close(upstream)
    }
}

struct FakeError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
