import AegisChat
import AegisCore
import AegisLocalSandbox
import AegisShell
import Foundation
import Logging
import ServiceLifecycle
import UnixSignals

/// `aegis-rotate shell`: engine, timer scheduler and the terminal session in one service group,
/// shut down gracefully on SIGTERM/SIGINT or at the end of input.
public enum ShellApp {
    public static func run(configuration: AegisConfiguration, logger: Logger, lines: AsyncStream<String>? = nil) async throws {
        let output = TerminalOutput()
        let transport = ShellTransport(output: output)
        let presenter = ChatPresenter(transport: transport, approverChannel: configuration.approverChannel,
                                      escalationChannel: configuration.escalationChannel, logger: logger)
        let app = try AppContext.build(configuration: configuration, defaultEnvironment: .local, events: presenter, logger: logger)
        do {
            try await run(app, configuration: configuration, presenter: presenter, output: output, lines: lines, logger: logger)
        } catch {
            await app.shutdown()
            throw error
        }
        await app.shutdown()
    }

    static func run(_ app: AppContext, configuration: AegisConfiguration, presenter: ChatPresenter, output: TerminalOutput,
                    lines: AsyncStream<String>?, logger: Logger) async throws {
        await presenter.connect(app.engine)
        try await app.state.releaseOrphanedClaims()
        var seededNote = ""
        if app.sandbox != nil {
            let seeded = try await app.seedSandbox()
            if !seeded.isEmpty {
                try await app.state.appendAudit(AuditEntry(actor: "aegis-rotate", action: .sandboxSeeded,
                                                           details: ["secrets": seeded.joined(separator: ",")]))
                seededNote = "\nSeeded the sandbox with initial versions of: \(seeded.joined(separator: ", "))."
            }
        }
        let workspace = app.environment == .production
            ? ShellWorkspace.operatingSystem(approvers: configuration.workspace?.approvers ?? [])
            : ShellWorkspace(users: configuration.workspace?.users ?? ShellWorkspaceDefaults.users,
                             approvers: configuration.workspace?.approvers ?? ShellWorkspaceDefaults.approvers)
        let where_ = app.environment == .local ? "local sandbox in \(configuration.localDirectory.path)" : "production"
        let banner = "aegis-rotate shell: AEGIS_ENV=\(app.environment.rawValue) (\(where_)), state \(configuration.stateURL), \(app.inventory.definitions.count) secrets.\(seededNote)"
        let session = ShellSession(handler: CommandHandler(engine: app.engine), engine: app.engine, output: output,
                                   workspace: workspace, banner: banner, lines: lines)
        let scheduler = TimerScheduler(state: app.state, engine: app.engine, pollInterval: app.settings.timerPollInterval,
                                       shutdownGrace: app.settings.shutdownGrace, logger: logger)
        let group = ServiceGroup(configuration: BoundedShutdown.configuration(
            services: [
                .init(service: ConcurrentServices([app.engine, scheduler])),
                .init(service: session, successTerminationBehavior: .gracefullyShutdownGroup),
            ],
            logger: logger))
        try await group.run()
    }
}
