import ArgumentParser
import Ledger

/// `--data DIR`, shared by every command that works on a ledger.
struct DataOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The data directory (holds ledger/ and index.sqlite).", valueName: "DIR"))
    var data: String

    var directory: LedgerDirectory { LedgerDirectory(dataPath: data) }
}

enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json
}

/// Prints `message` to standard error.
func printError(_ message: String) {
    FileHandleOutput.standardError.write(message + "\n")
}

/// Runs `body`, turning Ledgerbot errors into a message on stderr and exit code 2.
func reportingErrors<T>(_ body: () async throws -> T) async throws -> T {
    do {
        return try await body()
    } catch let error as ExitCode {
        throw error
    } catch let error as CleanExit {
        throw error
    } catch let error as LedgerError where error.kind == .corrupted && !error.message.contains("ledger repair") {
        // Read-only commands meet damage too: say what to do, as the writers do.
        printError("error: \(error)\nThe ledger is damaged: `ledgerbot ledger verify` on it shows where, and `ledgerbot ledger repair` moves the damaged frames aside (into quarantine/, nothing is deleted).")
        throw ExitCode(2)
    } catch {
        printError("error: \(error)")
        throw ExitCode(2)
    }
}
