import AegisTestServers
import Foundation
import KubernetesFake
import Testing

/// The real kubectl (v1.32) drives the fake: proof that the fake speaks the API server's protocol,
/// so what our client does against it means something.
@Suite(.serialized)
struct KubectlAgainstFakeTests {
    @Test func kubectlReadsPatchesRestartsAndWaitsForTheRollout() async throws {
        let fake = try await KubernetesFake.start()
        await fake.setRolloutDuration(.seconds(2))
        let kubectl = try Kubectl(server: fake.serverURL, token: "kubectl-token")
        defer { kubectl.cleanUp() }
        do {
            let get = try await kubectl.run(["get", "configmap", "aegis-config", "-n", "aegis", "-o", "json"])
            #expect(get.status == 0, "kubectl get: \(get.output)")
            let object = try JSONSerialization.jsonObject(with: Data(get.output.utf8)) as? [String: Any]
            #expect(object?["kind"] as? String == "ConfigMap")
            #expect((object?["data"] as? [String: String])?["LOG_LEVEL"] == "info")

            let patch = try await kubectl.run(["patch", "configmap", "aegis-config", "-n", "aegis", "--type", "merge",
                                               "-p", #"{"data":{"k":"v"}}"#])
            #expect(patch.status == 0, "kubectl patch: \(patch.output)")
            #expect(await fake.configMap(name: "aegis-config") == ["LOG_LEVEL": "info", "k": "v"])

            let before = try #require(await fake.deployment(name: "aegis-api"))
            let restart = try await kubectl.run(["rollout", "restart", "deployment/aegis-api", "-n", "aegis"])
            #expect(restart.status == 0, "kubectl rollout restart: \(restart.output)")
            let after = try #require(await fake.deployment(name: "aegis-api"))
            #expect(after.generation == before.generation + 1)
            #expect(after.restartedAt != nil)
            #expect(!after.rolloutFinished)

            let status = try await kubectl.run(["rollout", "status", "deployment/aegis-api", "-n", "aegis", "--timeout=30s"])
            #expect(status.status == 0, "kubectl rollout status: \(status.output)")
            #expect(status.output.contains("successfully rolled out"), "\(status.output)")
            #expect(await fake.deployment(name: "aegis-api")?.rolloutFinished == true)

            let requests = await fake.requests
            // client-go adds a kubeconfig user's credentials only over TLS: over plain http kubectl
            // sends no token at all, and the fake records exactly that.
            #expect(!requests.isEmpty && requests.allSatisfy { !$0.hadBearerToken })
            #expect(requests.contains { $0.method == "PATCH" && $0.query["fieldManager"] == "kubectl-rollout"
                && $0.contentType.hasPrefix("application/strategic-merge-patch+json") })
            #expect(requests.contains { $0.query["watch"] == "true" })
        } catch {
            await fake.stop()
            throw error
        }
        await fake.stop()
    }

    @Test func kubectlRefusesToRestartAPausedDeploymentAndReportsAStalledRollout() async throws {
        let fake = try await KubernetesFake.start()
        await fake.setRolloutDuration(.milliseconds(400))
        let kubectl = try Kubectl(server: fake.serverURL, token: "kubectl-token")
        defer { kubectl.cleanUp() }
        do {
            let paused = try await kubectl.run(["rollout", "restart", "deployment/aegis-paused", "-n", "aegis"])
            #expect(paused.status != 0)
            #expect(paused.output.contains("paused"), "\(paused.output)")

            await fake.stallRollouts()
            let restart = try await kubectl.run(["rollout", "restart", "deployment/aegis-api", "-n", "aegis"])
            #expect(restart.status == 0, "\(restart.output)")
            let status = try await kubectl.run(["rollout", "status", "deployment/aegis-api", "-n", "aegis", "--timeout=30s"])
            #expect(status.status != 0)
            #expect(status.output.contains("exceeded its progress deadline"), "\(status.output)")
        } catch {
            await fake.stop()
            throw error
        }
        await fake.stop()
    }
}
