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

/// Scans text and files for secret values: the whole value and a 24-character piece of its longest
/// line (catches a clipped value, a PEM body line, or a JSON-escaped value).
enum LeakScanner {
    static func needles(for values: [String]) -> [String] {
        values.flatMap { value -> [String] in
            let line = value.split(separator: "\n").map(String.init).max(by: { $0.count < $1.count }) ?? value
            let start = line.index(line.startIndex, offsetBy: max(0, line.count / 2 - 12))
            let piece = String(line[start...].prefix(24))
            return [value, piece].filter { $0.count >= 16 }
        }
    }

    /// The names of the haystacks that contain any needle.
    static func leaks(of values: [String], in haystacks: [String: Data]) -> [String] {
        let needles = needles(for: values).map { Data($0.utf8) }
        return haystacks.compactMap { name, data in
            needles.contains { data.range(of: $0) != nil } ? name : nil
        }.sorted()
    }

    /// Everything a run leaves that must hold no secret: outputs, the log, the state store files.
    static func haystacks(_ workspace: Workspace, outputs: [String]) -> [String: Data] {
        var haystacks: [String: Data] = [:]
        for (index, output) in outputs.enumerated() { haystacks["output #\(index)"] = Data(output.utf8) }
        for file in [workspace.logFile, workspace.stateFile,
                     URL(fileURLWithPath: workspace.stateFile.path + "-wal"), URL(fileURLWithPath: workspace.stateFile.path + "-shm")] {
            if let data = try? Data(contentsOf: file) { haystacks[file.lastPathComponent] = data }
        }
        return haystacks
    }
}
