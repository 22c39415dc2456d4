import AegisCore
import Foundation

/// The sandbox's deploy target: the configmap is a 0600 JSON file
/// (`deploy/<namespace>/configmap-<name>.json`), the deployment a small JSON status file whose
/// generation a restart bumps. A restart also runs `AEGIS_LOCAL_RESTART_COMMAND` when set (with
/// `AEGIS_CONFIG_FILE` pointing at the config), so a local service can reload; its failure fails
/// the restart, which is also how tests make a local rotation roll back.
public actor LocalDeployTarget: DeployTarget {
    struct ConfigFile: Codable { var data: [String: String] = [:] }
    struct DeploymentFile: Codable {
        var generation = 0
        var restartedAt: Date?
    }

    let root: URL
    let restartCommand: String?

    public init(root: URL, restartCommand: String?) {
        self.root = root
        self.restartCommand = restartCommand
    }

    public func configFile(_ location: DeployLocation) -> URL {
        root.appendingPathComponent("\(location.namespace)/configmap-\(location.configMap).json")
    }

    func deploymentFile(_ location: DeployLocation) -> URL {
        root.appendingPathComponent("\(location.namespace)/deployment-\(location.deployment).json")
    }

    public func readConfig(_ location: DeployLocation) async throws -> [String: SecretValue] {
        guard let data = try AtomicFile.read(configFile(location)) else { return [:] }
        return try JSONDecoder().decode(ConfigFile.self, from: data).data.mapValues { SecretValue(utf8: $0) }
    }

    public func patchConfig(_ location: DeployLocation, set: [String: SecretValue], remove: [String]) async throws {
        var config = ConfigFile(data: try await readConfig(location).mapValues { $0.revealSecretString() })
        for key in remove { config.data[key] = nil }
        for (key, value) in set { config.data[key] = value.revealSecretString() }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        try AtomicFile.write(try encoder.encode(config), to: configFile(location))
    }

    public func restart(_ location: DeployLocation) async throws {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        var deployment = try AtomicFile.read(deploymentFile(location)).map {
            let decoder = JSONDecoder()
            decoder.dateDecodingStrategy = .iso8601
            return try decoder.decode(DeploymentFile.self, from: $0)
        } ?? DeploymentFile()
        deployment.generation += 1
        deployment.restartedAt = Date()
        try AtomicFile.write(try encoder.encode(deployment), to: deploymentFile(location))
        if let restartCommand, !restartCommand.isEmpty {
            try await runRestartCommand(restartCommand, location: location)
        }
    }

    public func waitForRollout(_ location: DeployLocation, timeout: Duration) async throws {}

    func runRestartCommand(_ command: String, location: DeployLocation) async throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", command]
        var environment = ProcessInfo.processInfo.environment
        environment["AEGIS_CONFIG_FILE"] = configFile(location).path
        environment["AEGIS_DEPLOYMENT"] = location.deployment
        process.environment = environment
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        while process.isRunning { try await Task.sleep(for: .milliseconds(20)) }
        guard process.terminationStatus == 0 else {
            throw AdapterError(system: "local deploy", operation: "restart deployment/\(location.deployment)",
                               message: "the restart command exited with status \(process.terminationStatus)", isTransient: false)
        }
    }
}
