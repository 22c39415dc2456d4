import AegisCore
import AegisKubernetes
import Foundation
import KubernetesFake

/// A started fake plus a client of ours pointed at it with a bearer token; both stopped after.
func withFakeCluster<T>(token: String = "test-token-\(UUID().uuidString)", rolloutDuration: Duration = .milliseconds(400),
                        _ body: (KubernetesFake, KubernetesClient, String) async throws -> T) async throws -> T {
    let fake = try await KubernetesFake.start()
    await fake.setRolloutDuration(rolloutDuration)
    let config = KubeConfig(server: URL(string: fake.serverURL)!, namespace: "aegis", credential: .token(SecretValue(utf8: token)))
    let client = try KubernetesClient(config: config, timeout: .seconds(10))
    do {
        let result = try await body(fake, client, token)
        try await client.shutdown()
        await fake.stop()
        return result
    } catch {
        try? await client.shutdown()
        await fake.stop()
        throw error
    }
}

/// A fresh temp folder, removed by the caller.
func temporaryFolder() throws -> URL {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("aegis-k8s-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    return folder
}

let aegisAPI = DeployLocation(namespace: "aegis", deployment: "aegis-api", configMap: "aegis-config")
