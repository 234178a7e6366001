import Foundation
import Ledger

/// A child process for crash and fault tests (not shipped to users).
///
/// - `append-loop DATA WRITERS`: appends forever with WRITERS concurrent tasks and prints
///   `acked <first> <last> <writer> <n>` on stdout (unbuffered) after each append returned;
///   the batch holds `1 + n % 3` events with bodies `body(n * 10 + i)` in stream `1/<writer>`.
/// - `append-until-error DATA LIMIT`: sets RLIMIT_FSIZE to LIMIT bytes and appends until
///   the ledger reports an error; prints each ack, then `error <message>`; exits 3.
@main
struct TestHelper {
    static func main() async {
        let arguments = CommandLine.arguments
        guard arguments.count >= 4 || arguments.dropFirst().first == "bot" else {
            say("usage: LedgerbotTestHelper append-loop DATA WRITERS | append-until-error DATA LIMIT")
            exit(64)
        }
        let directory = LedgerDirectory(dataPath: arguments[2])
        do {
            switch arguments[1] {
            case "append-loop":
                try await appendLoop(directory, writers: Int(arguments[3]) ?? 4)
            case "bot":
                try await CrashBot.run(Array(arguments.dropFirst(2)))
            case "append-until-error":
                var limit = rlimit(rlim_cur: rlim_t(arguments[3]) ?? 1 << 20, rlim_max: rlim_t(arguments[3]) ?? 1 << 20)
                signal(SIGXFSZ, SIG_IGN) // get EFBIG from write(2) instead of being killed
                setrlimit(Int32(RLIMIT_FSIZE.rawValue), &limit)
                try await appendUntilError(directory)
            default:
                say("unknown command \(arguments[1])")
                exit(64)
            }
        } catch {
            say("error \(error)")
            exit(2)
        }
    }

    static func body(_ n: Int) -> [UInt8] {
        Array("{\"event\":\"message_created\",\"id\":\(n),\"content\":\"message number \(n) with some text to compress\",\"message_type\":\"incoming\"}".utf8)
    }

    static func appendLoop(_ directory: LedgerDirectory, writers: Int) async throws {
        let (ledger, _) = try FileLedger.open(directory: directory)
        say("ready")
        await withTaskGroup(of: Void.self) { group in
            for writer in 0..<writers {
                group.addTask {
                    var n = 0
                    while true {
                        n += 1
                        let drafts = (0..<(1 + n % 3)).map { i in
                            EventDraft(stream: "1/\(writer)", type: "test.event", time: Int64(n), body: body(n * 10 + i))
                        }
                        guard let range = try? await ledger.append(drafts) else { exit(5) }
                        say("acked \(range.lowerBound) \(range.upperBound) \(writer) \(n)")
                    }
                }
            }
        }
    }

    static func appendUntilError(_ directory: LedgerDirectory) async throws {
        var configuration = LedgerConfiguration()
        configuration.maintainIndex = false
        let (ledger, _) = try FileLedger.open(directory: directory, configuration: configuration)
        var n = 0
        while true {
            n += 1
            do {
                let range = try await ledger.append([EventDraft(stream: "s", type: "t", time: Int64(n), body: noise(n, count: 2000))])
                say("acked \(range.lowerBound) \(range.upperBound)")
            } catch {
                say("error \(error)")
                // The failed frame was truncated away: a small append that fits must still work.
                do {
                    let range = try await ledger.append([EventDraft(stream: "s", type: "t", time: 0, body: [1])])
                    say("acked \(range.lowerBound) \(range.upperBound)")
                } catch {
                    say("error-again \(error)")
                }
                await ledger.close()
                exit(3)
            }
        }
    }

    /// Incompressible bytes (SplitMix64), so the file grows by about `count` per event.
    static func noise(_ seed: Int, count: Int) -> [UInt8] {
        var state = UInt64(seed) &* 0x9E37_79B9_7F4A_7C15
        return (0..<count).map { _ in
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return UInt8(truncatingIfNeeded: z ^ (z >> 31))
        }
    }

    /// One write(2) per line, so a kill -9 never leaves a line half in a stdio buffer.
    static func say(_ line: String) {
        let bytes = Array((line + "\n").utf8)
        bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let n = write(1, buffer.baseAddress! + offset, buffer.count - offset)
                if n <= 0 { return }
                offset += n
            }
        }
    }
}
