import AegisApp
import ArgumentParser

/// `aegis-rotate`: the shell bot by default, plus the CLI commands. Exit codes are in ``ExitCodes``.
@main
struct AegisRotate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "aegis-rotate",
        abstract: "Rotate secrets safely: request, second-person approval, runbook steps, verification, rollback, audit.",
        discussion: """
        With no subcommand it starts the shell bot on embedded defaults (AEGIS_ENV=local: SQLite state, a local \
        file-backed secret store and deploy target). Exit codes: 0 ok, 1 failure (e.g. audit tampered), \
        2 something is overdue (due --check), 3 not found, 4 invalid inventory or configuration, 64 usage.
        """,
        subcommands: [Shell.self, Bot.self, List.self, Due.self, Plan.self, Status.self, History.self, Audit.self],
        defaultSubcommand: Shell.self
    )
}
