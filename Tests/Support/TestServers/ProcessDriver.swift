import Foundation

/// The repository root and the built executable (`AEGIS_BINARY` overrides the path).
public enum Repository {
    public static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    public static var binary: URL {
        if let explicit = ProcessInfo.processInfo.environment["AEGIS_BINARY"] { return URL(fileURLWithPath: explicit) }
        return root.appendingPathComponent(".build/debug/aegis-rotate")
    }
}

/// A scratch working folder with a copy of the Commands folder, as a new operator would have.
public struct Workspace: Sendable {
    public let folder: URL

    public init() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("aegis-e2e-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: Repository.root.appendingPathComponent("Commands"), to: folder.appendingPathComponent("Commands"))
    }

    public var stateFile: URL { folder.appendingPathComponent(".aegis-rotate/state.sqlite") }
    public var logFile: URL { folder.appendingPathComponent(".aegis-rotate/aegis-rotate.log") }
    public var localRoot: URL { folder.appendingPathComponent(".aegis-rotate/local") }
    public var configFile: URL { localRoot.appendingPathComponent("deploy/aegis/configmap-aegis-config.json") }

    /// The environment the executable runs with: this machine's, minus its aegis-rotate, AWS and
    /// connection settings, plus `extra`.
    public func environment(_ extra: [String: String]) -> [String: String] {
        // Nothing of this machine's own configuration: no AEGIS_, AWS_ or connection setting.
        let inherited = ["AEGIS_", "AWS_", "KUBECONFIG", "DATABASE_URL", "REDIS_URL", "SLACK_"]
        var environment = ProcessInfo.processInfo.environment.filter { key, _ in !inherited.contains { key.hasPrefix($0) } }
        environment["AEGIS_TIMER_POLL"] = "100ms"
        environment["AEGIS_RETRY_BASE"] = "10ms"
        for (key, value) in extra { environment[key] = value }
        return environment
    }

    /// Starts the real `aegis-rotate` here with `arguments`; standard input is a pipe.
    public func start(_ arguments: [String], environment extra: [String: String] = [:]) throws -> TestProcess {
        try TestProcess(Repository.binary.path, arguments, environment: environment(extra), directory: folder, input: true)
    }

    /// Runs a CLI command to completion (60 s at most).
    public func run(_ arguments: [String], environment extra: [String: String] = [:]) async throws -> (status: Int32, stdout: String, stderr: String) {
        let process = try TestProcess(Repository.binary.path, arguments, environment: environment(extra), directory: folder)
        let status = try await process.waitForExit(timeout: .seconds(60))
        return (status, process.stdout, process.stderr)
    }
}
