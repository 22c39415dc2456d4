import AegisTestServers
import AegisAWS
import AegisCore
import AegisLocalSandbox
import Foundation

/// Reads the sandbox a run left behind through the same store and target types the bot uses.
struct SandboxInspector {
    let sandbox: LocalSandbox
    let jwt = StorageLocation(kind: .awsSecretsManager, name: "aegis/jwt-signing-key")
    let location = DeployLocation(namespace: "aegis", deployment: "aegis-api", configMap: "aegis-config")

    init(_ workspace: Workspace) {
        sandbox = LocalSandbox(root: workspace.localRoot, restartCommand: nil)
    }

    func stage(_ stage: SecretStage) async throws -> String? {
        try await sandbox.store.version(secret: jwt, stage: stage)?.versionID
    }

    func value(_ version: String) async throws -> String? {
        try await sandbox.store.value(secret: jwt, versionID: version)?.revealSecretString()
    }

    func config() async throws -> [String: String] {
        try await sandbox.target.readConfig(location).mapValues { $0.revealSecretString() }
    }

    /// Every secret value the sandbox holds: each version of each secret, and every config value.
    func allSecretValues() async throws -> [String] {
        var values: [String] = []
        let secretsRoot = sandbox.root.appendingPathComponent("secrets")
        let enumerator = FileManager.default.enumerator(at: secretsRoot, includingPropertiesForKeys: nil)
        while let file = enumerator?.nextObject() as? URL {
            if file.pathExtension == "secret" { values.append(try String(contentsOf: file, encoding: .utf8)) }
        }
        values += try await config().filter { !$0.key.hasSuffix("_id") }.map(\.value)
        return Array(Set(values)).filter { !$0.isEmpty }
    }
}
