import AegisApp
import ArgumentParser

struct Bot: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The Slack bot over Socket Mode (needs SLACK_APP_TOKEN and SLACK_BOT_TOKEN).",
        discussion: "AEGIS_ENV defaults to production here; set AEGIS_ENV=local to run the Slack bot on the sandbox.")

    func run() async throws {
        BoundedShutdown.armExitBackstop()
        let configuration = try CLIRuntime.configuration()
        do {
            let registry = SlackBot.bootstrapMetrics()
            try await SlackBot.build(configuration: configuration, logger: CLIRuntime.logger(configuration), registry: registry).run()
        } catch {
            throw CLIRuntime.fail(error)
        }
    }
}
