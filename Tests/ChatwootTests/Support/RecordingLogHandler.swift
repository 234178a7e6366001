import Logging
import NIOConcurrencyHelpers

/// Collects rendered log lines (message and metadata) so tests can inspect them.
final class LogRecorder: Sendable {
    private let lines = NIOLockedValueBox<[String]>([])

    func append(_ line: String) {
        lines.withLockedValue { $0.append(line) }
    }

    var all: [String] {
        lines.withLockedValue { $0 }
    }

    /// A logger at `trace` level that writes here.
    func logger(label: String = "test") -> Logger {
        var logger = Logger(label: label, factory: { _ in RecordingLogHandler(recorder: self) })
        logger.logLevel = .trace
        return logger
    }
}

struct RecordingLogHandler: LogHandler {
    let recorder: LogRecorder
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let merged = metadata.merging(event.metadata ?? [:]) { _, new in new }
        recorder.append("\(event.level) \(event.message) \(merged)")
    }
}
