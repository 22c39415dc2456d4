import AegisCore
import AegisKubernetes
import Foundation
import KubernetesFake
import Testing

/// How failures reach the core: 5xx transient, 401 not, and never a token or value in the text.
@Suite(.serialized)
struct FailureTests {
    @Test func serverErrorsAreTransient() async throws {
        try await withFakeCluster { fake, client, _ in
            let target = KubernetesDeployTarget(client: client)
            await fake.failNext(1, status: 500)
            let error = try await #require(throws: AdapterError.self) { try await target.readConfig(aegisAPI) }
            #expect(error.isTransient)
            #expect(error.description.contains("HTTP 500"))
            #expect(error.description.contains("InternalError"))
            #expect(try await target.readConfig(aegisAPI)["LOG_LEVEL"]?.revealSecretString() == "info")
        }
    }

    @Test func aWrongTokenIsANonTransient401WithoutTheToken() async throws {
        try await withFakeCluster { fake, client, token in
            await fake.requireToken("the-right-token")
            let target = KubernetesDeployTarget(client: client)
            let secretValue = "value-that-must-not-leak"
            let error = try await #require(throws: AdapterError.self) {
                try await target.patchConfig(aegisAPI, set: ["K": SecretValue(utf8: secretValue)], remove: [])
            }
            #expect(!error.isTransient)
            #expect(error.description.contains("HTTP 401"))
            #expect(error.description.contains("Unauthorized"))
            for text in [error.description, "\(error)", String(reflecting: error)] {
                #expect(!text.contains(token))
                #expect(!text.contains(secretValue))
                #expect(!text.contains("the-right-token"))
            }
        }
    }

    @Test func connectionFailuresAreTransient() async throws {
        let fake = try await KubernetesFake.start()
        let url = fake.serverURL
        await fake.stop()
        let client = try KubernetesClient(config: KubeConfig(server: URL(string: url)!, credential: .token(SecretValue(utf8: "tok-conn"))),
                                          timeout: .seconds(5))
        let target = KubernetesDeployTarget(client: client)
        let result = await #expect(throws: AdapterError.self) { try await target.readConfig(aegisAPI) }
        try await client.shutdown()
        #expect(result?.isTransient == true)
        #expect(result.map { !$0.description.contains("tok-conn") } ?? true)
    }

    @Test func aRotatedTokenFileIsReReadAfterA401() async throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let tokenPath = folder.appendingPathComponent("token")
        try "old-sa-token".write(to: tokenPath, atomically: true, encoding: .utf8)
        let fake = try await KubernetesFake.start()
        let client = try KubernetesClient(config: KubeConfig(server: URL(string: fake.serverURL)!, credential: .tokenFile(tokenPath.path)),
                                          timeout: .seconds(5), tokenRefreshInterval: .seconds(3600))
        do {
            let target = KubernetesDeployTarget(client: client)
            await fake.requireToken("old-sa-token")
            _ = try await target.readConfig(aegisAPI)
            // The kubelet rotates the projected token; the server only accepts the new one.
            try "new-sa-token\n".write(to: tokenPath, atomically: true, encoding: .utf8)
            await fake.requireToken("new-sa-token")
            #expect(try await target.readConfig(aegisAPI)["LOG_LEVEL"] != nil)
        } catch {
            try? await client.shutdown()
            await fake.stop()
            throw error
        }
        try await client.shutdown()
        await fake.stop()
    }

    @Test func tokensTravelOnlyOverTLSOrToLoopback() async throws {
        for (server, sends) in [("https://10.0.0.1:6443", true), ("http://127.0.0.1:8080", true), ("http://localhost:1", true),
                                ("http://10.0.0.1:8080", false), ("http://kube.example:80", false)] {
            let client = try KubernetesClient(config: KubeConfig(server: URL(string: server)!, credential: .token(SecretValue(utf8: "t"))))
            #expect(client.sendsCredentials == sends, "\(server)")
            try await client.shutdown()
        }
    }

    @Test func anInvalidClientKeyIsAClearConfigurationError() throws {
        let config = KubeConfig(server: URL(string: "https://127.0.0.1:1")!,
                                tls: KubeTLS(clientCertificatePEM: Array("not a cert".utf8), clientKeyPEM: SecretValue(utf8: "not-a-key-secret")))
        let error = try #require(throws: KubeConfigError.self) { _ = try KubernetesClient(config: config) }
        #expect(error.description.contains("client certificate"))
        #expect(!error.description.contains("not-a-key-secret"))
    }
}
