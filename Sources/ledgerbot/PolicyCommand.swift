import ArgumentParser
import Foundation
import Policy

struct PolicyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "policy",
        abstract: "Work with bot versions (policy YAML files).",
        subcommands: [Check.self]
    )

    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Validate a policy: YAML, NLU data, templates, regexes, and every reference between them.",
            discussion: """
                Prints every problem as FILE:LINE:COLUMN: error: MESSAGE (the form editors and CI \
                annotators read). Exit 0 when the policy is usable, 1 when it has problems, 2 when \
                the file cannot be read.
                """
        )

        @Argument(help: ArgumentHelp("The policy file.", valueName: "FILE")) var file: String
        @Option(help: "text or json.") var format: OutputFormat = .text

        func run() async throws {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: file, isDirectory: &isDirectory), !isDirectory.boolValue,
                  FileManager.default.isReadableFile(atPath: file) else {
                printError("error: \(file): " + (isDirectory.boolValue ? "a directory, not a policy file" : "no such file, or not readable"))
                throw ExitCode(2)
            }
            do {
                let policy = try PolicyLoader.load(path: file)
                switch format {
                case .text:
                    print("\(file): ok — \(policy.id), \(policy.language), \(policy.intents.count) intents, \(policy.nlu.examples.count) examples, "
                          + "\(policy.slots.count) slots, \(policy.lookups.count) lookups (nlu: \(policy.nlu.engine))")
                case .json:
                    print(jsonText(["file": file, "ok": true, "policy": policy.id, "sha256": policy.contentHash, "issues": [Any]()]))
                }
            } catch {
                switch format {
                case .text:
                    for issue in error.issues { print(issue.description) }
                    printError("\(file): \(error.issues.count) problem(s)")
                case .json:
                    let issues = error.issues.map { ["file": $0.file, "line": $0.line, "column": $0.column, "message": $0.message] as [String: Any] }
                    print(jsonText(["file": file, "ok": false, "issues": issues]))
                }
                throw ExitCode(1)
            }
        }
    }
}

/// Loads a policy for a command, printing its problems and exiting 2 when it is unusable.
func loadPolicy(_ path: String) throws -> Policy {
    do {
        return try PolicyLoader.load(path: path)
    } catch {
        for issue in error.issues { printError(issue.description) }
        printError("error: the policy has \(error.issues.count) problem(s); `ledgerbot policy check \(path)` lists them")
        throw ExitCode(2)
    }
}
