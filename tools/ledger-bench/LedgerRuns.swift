#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import Ledger

// MARK: fdatasync probe

struct FsyncResult: Codable {
    var samples = 0
    var blockBytes = 4096
    var medianSeconds = 0.0
    var p10Seconds = 0.0
    var p90Seconds = 0.0
    var meanSeconds = 0.0
    var fileSystem = ""
}

/// `samples` × (pwrite 4 KiB at the end of a growing file + fdatasync), like a ledger append.
func probeFsync(directory: String, samples: Int = 200) throws -> FsyncResult {
    let path = directory + "/fsync-probe.bin"
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
    guard fd >= 0 else { throw BenchError("cannot create \(path): \(String(cString: strerror(errno)))") }
    defer { close(fd); unlink(path) }
    var rng = SplitMix64(seed: 7)
    let block = (0..<4096).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
    var times: [Double] = []
    for i in 0..<(samples + 10) {
        let start = monotonicNanos()
        let written = block.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, off_t(i * 4096)) }
        guard written == 4096 else { throw BenchError("pwrite failed: \(String(cString: strerror(errno)))") }
        guard fdatasync(fd) == 0 else { throw BenchError("fdatasync failed: \(String(cString: strerror(errno)))") }
        if i >= 10 { times.append(seconds(since: start)) }   // the first few warm the file up
    }
    times.sort()
    return FsyncResult(samples: times.count, medianSeconds: percentile(times, 0.5), p10Seconds: percentile(times, 0.1),
                       p90Seconds: percentile(times, 0.9), meanSeconds: times.reduce(0, +) / Double(times.count),
                       fileSystem: ProcFS.fileSystemType(directory))
}

// MARK: Ledger append runs

struct RunSpec {
    var name: String
    var writers: Int
    var durability: LedgerConfiguration.Durability
    var level: Int32 = 6
    var maintainIndex = true
    var keep = false
}

struct RunResult: Codable {
    var name = ""
    var writers = 0
    var durability = ""
    var compressionLevel = 6
    var maintainIndex = true
    var events = 0
    var seconds = 0.0
    var eventsPerSecond = 0.0
    /// writers / t_fsync (durable runs only).
    var bound: Double?
    var boundRatio: Double?
    var frames = 0
    var eventsPerFrame = 0.0
    var segments = 0
    var bodyBytes: Int64 = 0
    var storedBytes: Int64 = 0
    var compressionRatio = 0.0
    var indexBytes: Int64 = 0
    var latencyP50Ms = 0.0
    var latencyP99Ms = 0.0
    var latencyMaxMs = 0.0
    /// CPU seconds per wall second over the append phase.
    var processCores = 0.0
    /// CPU seconds per wall second of each of the ledger's own threads (encoder, syncer, indexer;
    /// busiest first — thread names are not visible on Linux, so they are told apart by when they started).
    var ledgerThreadCores: [Double] = []
    /// CPU time of the busiest ledger thread (the encoder) per event, µs.
    var encoderMicrosPerEvent = 0.0
    /// Cores busy with other processes on the machine during the run (the CPUs are shared).
    var otherCores = 0.0
    /// Median fdatasync latency probed just before this run (50 samples), to show drift from the main probe.
    var fsyncBeforeSeconds = 0.0
    var closeSeconds = 0.0
}

func runLedger(_ spec: RunSpec, corpus: Corpus, root: String, fsync: FsyncResult) async throws -> (RunResult, String) {
    let path = root + "/" + spec.name.map { $0.isLetter || $0.isNumber ? $0 : "-" }.map(String.init).joined()
    var configuration = LedgerConfiguration()
    configuration.durability = spec.durability
    configuration.compressionLevel = spec.level
    configuration.maintainIndex = spec.maintainIndex
    let directory = LedgerDirectory(dataPath: path)
    let fsyncNow = try probeFsync(directory: root, samples: 50)
    let threadsBeforeOpen = Set(ProcFS.threadCPU().keys)
    let (ledger, _) = try FileLedger.open(directory: directory, configuration: configuration)

    let n = corpus.count
    let writers = spec.writers
    let threadsBefore = ProcFS.threadCPU()
    let cpuBefore = processCPUSeconds()
    let machineBefore = ProcFS.machineBusySeconds()
    let start = monotonicNanos()
    let latencies = try await withThrowingTaskGroup(of: [UInt32].self) { group in
        for w in 0..<writers {
            group.addTask {
                var latencies: [UInt32] = []
                latencies.reserveCapacity(n / writers + 1)
                var i = w
                while i < n {
                    let draft = corpus.draft(i)
                    let began = monotonicNanos()
                    _ = try await ledger.append([draft])
                    latencies.append(UInt32(min((monotonicNanos() - began) / 1_000, UInt64(UInt32.max))))
                    i += writers
                }
                return latencies
            }
        }
        var all: [UInt32] = []
        all.reserveCapacity(n)
        for try await part in group { all += part }
        return all
    }
    let elapsed = seconds(since: start)
    let cpu = processCPUSeconds() - cpuBefore
    let machine = ProcFS.machineBusySeconds() - machineBefore
    let threadsAfter = ProcFS.threadCPU()
    let closeStart = monotonicNanos()
    await ledger.close()
    let closeSeconds = seconds(since: closeStart)

    let stats = try LedgerInspection.stats(directory: directory)
    guard stats.events == n else { throw BenchError("\(spec.name): ledger holds \(stats.events) events, expected \(n)") }

    var result = RunResult()
    result.name = spec.name
    result.writers = writers
    result.durability = spec.durability.rawValue
    result.compressionLevel = Int(spec.level)
    result.maintainIndex = spec.maintainIndex
    result.events = n
    result.seconds = elapsed
    result.eventsPerSecond = Double(n) / elapsed
    if spec.durability == .fsync {
        let bound = Double(writers) / fsync.medianSeconds
        result.bound = bound
        result.boundRatio = result.eventsPerSecond / bound
    }
    result.frames = stats.frames
    result.eventsPerFrame = Double(stats.events) / Double(max(1, stats.frames))
    result.segments = stats.segments
    result.bodyBytes = stats.bodyBytes
    result.storedBytes = stats.storedBytes
    result.compressionRatio = stats.compressionRatio
    result.indexBytes = ["", "-wal"].reduce(0) { total, suffix in
        var info = stat()
        return total + (stat(directory.indexPath + suffix, &info) == 0 ? Int64(info.st_size) : 0)
    }
    let sorted = latencies.map { Double($0) / 1_000 }.sorted()
    result.latencyP50Ms = percentile(sorted, 0.5)
    result.latencyP99Ms = percentile(sorted, 0.99)
    result.latencyMaxMs = sorted.last ?? 0
    result.processCores = cpu / elapsed
    let ledgerThreads = Set(threadsBefore.keys).subtracting(threadsBeforeOpen)
    result.ledgerThreadCores = ledgerThreads.map { ((threadsAfter[$0] ?? 0) - (threadsBefore[$0] ?? 0)) / elapsed }.sorted(by: >)
    result.encoderMicrosPerEvent = (result.ledgerThreadCores.first ?? 0) * elapsed / Double(n) * 1e6
    result.otherCores = max(0, machine - cpu) / elapsed
    result.closeSeconds = closeSeconds
    result.fsyncBeforeSeconds = fsyncNow.medianSeconds
    if !spec.keep { Scratch.remove(path) }
    return (result, path)
}

// MARK: Sequential read

struct ReadResult: Codable {
    var events = 0
    var bodyBytes: Int64 = 0
    var coldSeconds = 0.0
    var coldEventsPerSecond = 0.0
    var coldMBPerSecond = 0.0
    var warmSeconds = 0.0
    var warmEventsPerSecond = 0.0
    var warmMBPerSecond = 0.0
    var rssBeforeBytes: Int64 = 0
    var peakRSSBytes: Int64 = 0
    var peakRSSIsReadPhaseOnly = false
}

/// Drops the page cache of the segment files (POSIX_FADV_DONTNEED; they are already synced).
private func evictSegments(_ path: String) {
    let ledgerPath = path + "/ledger"
    for name in (try? FileManager.default.contentsOfDirectory(atPath: ledgerPath)) ?? [] where name.hasSuffix(".lbs") {
        let fd = open(ledgerPath + "/" + name, O_RDONLY)
        guard fd >= 0 else { continue }
        _ = fdatasync(fd)
        _ = posix_fadvise(fd, 0, 0, Int32(POSIX_FADV_DONTNEED))
        close(fd)
    }
}

/// Two passes with LedgerCursor (decompress + CRC + decode every event): page cache evicted, then warm.
func readLedger(path: String) throws -> ReadResult {
    var result = ReadResult()
    result.rssBeforeBytes = ProcFS.status("VmRSS") ?? 0
    result.peakRSSIsReadPhaseOnly = ProcFS.resetPeakRSS()
    for pass in 0..<2 {
        if pass == 0 { evictSegments(path) }
        let start = monotonicNanos()
        let cursor = try LedgerCursor(directory: LedgerDirectory(dataPath: path))
        var events = 0
        var bytes: Int64 = 0
        while let event = try cursor.next() {
            events += 1
            bytes += Int64(event.body.count)
        }
        let elapsed = seconds(since: start)
        result.events = events
        result.bodyBytes = bytes
        if pass == 0 {
            result.coldSeconds = elapsed
            result.coldEventsPerSecond = Double(events) / elapsed
            result.coldMBPerSecond = Double(bytes) / 1e6 / elapsed
        } else {
            result.warmSeconds = elapsed
            result.warmEventsPerSecond = Double(events) / elapsed
            result.warmMBPerSecond = Double(bytes) / 1e6 / elapsed
        }
    }
    result.peakRSSBytes = ProcFS.status("VmHWM") ?? 0
    return result
}
