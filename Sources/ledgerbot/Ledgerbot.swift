import ArgumentParser

@main
struct Ledgerbot: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ledgerbot",
        abstract: "A Chatwoot Agent Bot built as an event-sourced conversation ledger.",
        discussion: """
            Every webhook received and every action taken is appended to a compressed, \
            tamper-evident, append-only ledger before it is acknowledged or performed.

            Exit codes: 0 success; 1 a check failed (corruption found, decisions differ); \
            2 an error stopped the command; 64 bad usage.
            """,
        version: "0.1.0",
        subcommands: [DemoCommand.self, ServeCommand.self, LedgerCommand.self, ReplayCommand.self, AuditCommand.self, SummaryCommand.self, PolicyCommand.self, NLUCommand.self]
    )
}
