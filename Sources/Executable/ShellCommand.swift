import AegisApp
import ArgumentParser

struct Shell: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The bot in the terminal: /rotate commands, /as <user>, buttons typed as `approve R-3`.",
        discussion: "Reads standard input (a TTY or a pipe). AEGIS_ENV defaults to local here.")

    func run() async throws {
        BoundedShutdown.armExitBackstop()
        let configuration = try CLIRuntime.configuration()
        do {
            try await ShellApp.run(configuration: configuration, logger: CLIRuntime.logger(configuration))
        } catch {
            throw CLIRuntime.fail(error)
        }
    }
}
