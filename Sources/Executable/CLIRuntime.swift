import AegisApp
import AegisCore
import ArgumentParser
import Foundation
import Logging

/// Exit codes scripts can rely on.
enum ExitCodes {
    static let failure = ExitCode(1)
    static let overdue = ExitCode(2)
    static let notFound = ExitCode(3)
    static let invalidSetup = ExitCode(4)
    /// `plan`: the plan cannot run here; the output names every missing setting.
    static let notRunnable = ExitCode(5)
}

/// Shared set-up for every subcommand: configuration, the JSON log file, the app context.
enum CLIRuntime {
    static func configuration() throws -> AegisConfiguration {
        do { return try AegisConfiguration() } catch { throw fail(error) }
    }

    /// Logs go to `AEGIS_LOG_FILE` (default `.aegis-rotate/aegis-rotate.log`) as JSON lines, or
    /// to standard error with `AEGIS_LOG_FILE=-` (containers).
    static func logger(_ configuration: AegisConfiguration) -> Logger {
        let path = configuration.string("AEGIS_LOG_FILE") ?? ".aegis-rotate/aegis-rotate.log"
        let level = Logger.Level(rawValue: configuration.string("AEGIS_LOG_LEVEL") ?? "info") ?? .info
        var logger = Logger(label: "aegis-rotate") { label in
            if path == "-" { return JSONLogHandler(label: label, handle: .standardError) }
            return (try? JSONLogHandler.appending(to: path, label: label)) ?? JSONLogHandler(label: label, handle: .standardError)
        }
        logger.logLevel = level
        return logger
    }

    /// Runs `body` with the app for read-only commands, then shuts the app's clients down
    /// (whether `body` succeeded or threw).
    static func withContext<T>(_ access: StateAccess, _ body: (AppContext) async throws -> T) async throws -> T {
        let app = try context(access)
        do {
            let result = try await body(app)
            await app.shutdown()
            return result
        } catch {
            await app.shutdown()
            throw error
        }
    }

    /// The app for read-only commands: local environment by default, events go nowhere.
    static func context(_ access: StateAccess) throws -> AppContext {
        let configuration = try configuration()
        do {
            return try AppContext.build(configuration: configuration, defaultEnvironment: .local, events: SilentEvents(),
                                        access: access, logger: logger(configuration))
        } catch {
            throw fail(error)
        }
    }

    /// Prints a setup error on standard error and picks its exit code.
    static func fail(_ error: any Error) -> ExitCode {
        printError("aegis-rotate: \(error)")
        switch error {
        case is InventoryLoadError, is AegisConfiguration.Problem: return ExitCodes.invalidSetup
        default: return ExitCodes.failure
        }
    }

    static func printError(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }
}

/// CLI commands publish nothing: they only read.
struct SilentEvents: RotationEventSink {
    func publish(_ event: RotationEvent) async {}
}
