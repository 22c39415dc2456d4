import AegisCore
import AegisKubernetes
import Foundation
import KubernetesFake
import Testing

/// Our DeployTarget against the fake: config round trips, restart and rollout status.
@Suite(.serialized)
struct DeployTargetTests {
    @Test func configMapKeysAreSetAndRemovedAndValuesRoundTrip() async throws {
        try await withFakeCluster { fake, client, _ in
            let target = KubernetesDeployTarget(client: client)
            let value = "line1\n\"quoted\" ✓ {json: 1}"
            try await target.patchConfig(aegisAPI, set: ["JWT_KEY": SecretValue(utf8: value), ConfigKeyID.key(for: "JWT_KEY"): SecretValue(utf8: "v2")], remove: [])
            var read = try await target.readConfig(aegisAPI)
            #expect(read["JWT_KEY"]?.revealSecretString() == value)
            #expect(read["JWT_KEY_id"]?.revealSecretString() == "v2")
            #expect(read["LOG_LEVEL"]?.revealSecretString() == "info")

            try await target.patchConfig(aegisAPI, set: ["OTHER": SecretValue(utf8: "x")], remove: ["JWT_KEY", "never-there"])
            read = try await target.readConfig(aegisAPI)
            #expect(Set(read.keys) == ["JWT_KEY_id", "LOG_LEVEL", "OTHER"])
            #expect(await fake.configMap(name: "aegis-config") == ["JWT_KEY_id": "v2", "LOG_LEVEL": "info", "OTHER": "x"])

            let patches = await fake.requests.filter { $0.method == "PATCH" }
            #expect(patches.count == 2)
            #expect(patches.allSatisfy { $0.contentType == "application/merge-patch+json" && $0.hadBearerToken })
        }
    }

    @Test func secretTargetsBase64TheirData() async throws {
        try await withFakeCluster { fake, client, _ in
            let target = KubernetesDeployTarget(client: client, kind: .secret)
            let location = DeployLocation(namespace: "aegis", deployment: "aegis-api", configMap: "aegis-secret")
            try await target.patchConfig(location, set: ["DB_PASSWORD": SecretValue(utf8: "p@ss wörd")], remove: ["PLACEHOLDER"])
            #expect(await fake.secret(name: "aegis-secret") == ["DB_PASSWORD": "p@ss wörd"])
            #expect(try await target.readConfig(location)["DB_PASSWORD"]?.revealSecretString() == "p@ss wörd")
        }
    }

    @Test func restartStampsTheTemplateAndTheRolloutFinishes() async throws {
        // A rollout long enough that "not finished right after the restart" holds on a loaded machine.
        try await withFakeCluster(rolloutDuration: .seconds(3)) { fake, client, _ in
            let target = KubernetesDeployTarget(client: client, pollInterval: .milliseconds(50))
            let before = try #require(await fake.deployment(name: "aegis-api"))
            try await target.restart(aegisAPI)
            let restarted = try #require(await fake.deployment(name: "aegis-api"))
            #expect(restarted.generation == before.generation + 1)
            let stamp = try #require(restarted.restartedAt)
            #expect(stamp.range(of: #"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$"#, options: .regularExpression) != nil)
            #expect(!restarted.rolloutFinished)

            let started = ContinuousClock.now
            try await target.waitForRollout(aegisAPI, timeout: .seconds(15))
            #expect(ContinuousClock.now - started >= .milliseconds(500), "waitForRollout returned before the rollout could finish")
            #expect(await fake.deployment(name: "aegis-api")?.rolloutFinished == true)
        }
    }

    @Test func aStalledRolloutIsAProgressDeadlineError() async throws {
        try await withFakeCluster(rolloutDuration: .milliseconds(300)) { fake, client, _ in
            await fake.stallRollouts()
            let target = KubernetesDeployTarget(client: client, pollInterval: .milliseconds(50))
            try await target.restart(aegisAPI)
            let error = try await #require(throws: AdapterError.self) { try await target.waitForRollout(aegisAPI, timeout: .seconds(10)) }
            #expect(!error.isTransient)
            #expect(error.description.contains("ProgressDeadlineExceeded"))
        }
    }

    @Test func aRolloutThatOutlastsTheTimeoutIsAnError() async throws {
        try await withFakeCluster(rolloutDuration: .seconds(30)) { _, client, _ in
            let target = KubernetesDeployTarget(client: client, pollInterval: .milliseconds(50))
            try await target.restart(aegisAPI)
            let error = try await #require(throws: AdapterError.self) { try await target.waitForRollout(aegisAPI, timeout: .milliseconds(300)) }
            #expect(error.description.contains("RolloutTimeout"))
            #expect(error.description.contains("spec update to be observed"))
        }
    }

    @Test func aPausedDeploymentIsNotRestarted() async throws {
        try await withFakeCluster { fake, client, _ in
            let target = KubernetesDeployTarget(client: client)
            let location = DeployLocation(namespace: "aegis", deployment: "aegis-paused", configMap: "aegis-config")
            let before = try #require(await fake.deployment(name: "aegis-paused"))
            let error = try await #require(throws: AdapterError.self) { try await target.restart(location) }
            #expect(!error.isTransient)
            #expect(error.description.contains("paused"))
            #expect(await fake.deployment(name: "aegis-paused")?.generation == before.generation)
            #expect(await fake.requests.allSatisfy { $0.method == "GET" })
        }
    }
}
