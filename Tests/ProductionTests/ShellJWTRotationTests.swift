import AegisCore
import AegisTestServers
import Foundation
import KubernetesFake
import Testing

/// `/rotate jwt` in the production shell: Secrets Manager at moto, configmap and rollouts at the
/// Kubernetes API fake, the smoke test and log scan against the aegis-api fake and pod logs.
@Suite("production shell: JWT signing key", .productionWorld, .serialized, .timeLimit(.minutes(5)))
struct ShellJWTRotationTests {
    @Test("HS256, single rollout: new key signs, old key verifies until the grace timer removes it")
    func hs256SingleRollout() async throws {
        try await Scenario.with { scenario in
            let old = try #require(scenario.initialVersions["jwt-signing-key"])
            let oldValue = try #require(try await scenario.value("jwt-signing-key", old))

            let run = try await scenario.rotateInShell("jwt", environment: ["AEGIS_JWT_GRACE": "2s"])
            #expect(run.stdout.contains("🎉 R-1 completed"), "\(run.stdout)")
            let new = try #require(try await scenario.version("jwt-signing-key", .current))
            #expect(new != old)
            #expect(try await scenario.version("jwt-signing-key", .previous) == old)
            var config = await scenario.configMap()
            #expect(config["jwt.signing_key_id"] == new)
            #expect(config["jwt.signing_key"] == (try await scenario.value("jwt-signing-key", new)))
            #expect(config["jwt.previous_signing_key"] == oldValue)
            #expect(config["jwt.previous_signing_key_id"] == old)
            #expect(await scenario.restartCount() == 1)
            #expect(run.stdout.contains("smoke test /api/v1/findings"))

            // The grace timer is durable: a new shell after the grace period removes the old key.
            try await Task.sleep(for: .seconds(2))
            let later = try scenario.shell(["AEGIS_JWT_GRACE": "2s"])
            try await later.waitForOutput("🧹 Grace period over for R-1: removed jwt.previous_signing_key", timeout: .seconds(90))
            later.closeInput()
            #expect(try await later.waitForExit() == 0)
            config = await scenario.configMap()
            #expect(config["jwt.previous_signing_key"] == nil)
            #expect(config["jwt.previous_signing_key_id"] == nil)
            #expect(config["jwt.signing_key_id"] == new)
            #expect(await scenario.restartCount() == 2)
            let audit = try await scenario.workspace.run(["audit", "verify"], environment: scenario.environment())
            #expect(audit.status == 0, "\(audit.stdout)\(audit.stderr)")
            let leaks = try await scenario.leaks(outputs: [run.stdout, run.stderr, later.stdout, later.stderr])
            #expect(leaks.isEmpty, "secret values found in: \(leaks)")
        }
    }

    @Test("RS256, verify-first: the new public key is everywhere before any pod signs with it")
    func rs256VerifyFirst() async throws {
        try await Scenario.with(edit: CommandsEdits.jwtVerifyFirstRS256) { scenario in
            let old = try #require(scenario.initialVersions["jwt-signing-key"])
            let oldValue = try #require(try await scenario.value("jwt-signing-key", old))
            #expect(oldValue.contains("BEGIN PRIVATE KEY") || oldValue.contains("BEGIN RSA PRIVATE KEY"))

            let run = try await scenario.rotateInShell("jwt")
            #expect(run.stdout.contains("🎉 R-1 completed"), "\(run.stdout)")
            let new = try #require(try await scenario.version("jwt-signing-key", .current))
            let newValue = try #require(try await scenario.value("jwt-signing-key", new))
            #expect(new != old && newValue.contains("PRIVATE KEY"))
            let config = await scenario.configMap()
            #expect(config["jwt.signing_key"] == newValue)
            #expect(config["jwt.signing_key_id"] == new)
            #expect(config["jwt.previous_signing_key"] == oldValue)
            #expect(config["jwt.next_signing_key"] == nil, "the verify-only key moves to signing in the second rollout")
            #expect(await scenario.restartCount() == 2, "one rollout for verify-only, one for signing")
            #expect(run.stdout.contains("RS256"), "the round-trip check names the algorithm")
            let leaks = try await scenario.leaks(outputs: [run.stdout, run.stderr])
            #expect(leaks.isEmpty, "secret values found in: \(leaks)")
        }
    }

    @Test("keys deployed into a Secret (deploy.secret in the Commands file): base64 at the API, the same values")
    func deployIntoSecret() async throws {
        try await Scenario.with(edit: CommandsEdits.jwtInSecret) { scenario in
            let old = try #require(scenario.initialVersions["jwt-signing-key"])
            let oldValue = try #require(try await scenario.value("jwt-signing-key", old))
            let run = try await scenario.rotateInShell("jwt")
            #expect(run.stdout.contains("🎉 R-1 completed"), "\(run.stdout)")
            #expect(run.stdout.contains("secret aegis-jwt: "), "the deploy step names the Secret")
            let new = try #require(try await scenario.version("jwt-signing-key", .current))
            let keys = try #require(await scenario.kube.secret(name: "aegis-jwt"))
            #expect(keys["jwt.signing_key"] == (try await scenario.value("jwt-signing-key", new)))
            #expect(keys["jwt.signing_key_id"] == new)
            #expect(keys["jwt.previous_signing_key"] == oldValue)
            #expect(await scenario.configMap().isEmpty, "nothing went to the ConfigMap")
            let patches = await scenario.kube.requests.filter { $0.method == "PATCH" && $0.path.contains("/secrets/aegis-jwt") }
            #expect(patches.count == 1)
            let leaks = try await scenario.leaks(outputs: [run.stdout, run.stderr])
            #expect(leaks.isEmpty, "secret values found in: \(leaks)")
        }
    }

    @Test("the production shell is its operating-system user: no /as, no self-approval, approvers only from the config")
    func productionShellIdentity() async throws {
        try await Scenario.with { scenario in
            let old = try #require(scenario.initialVersions["jwt-signing-key"])
            let shell = try scenario.shell()
            for line in ["/rotate jwt self approval", "/as carol", "approve R-1", "/as Root", "/quit"] { shell.send(line) }
            #expect(try await shell.waitForExit(timeout: .seconds(60)) == 0, "\(shell.outputTail)")
            #expect(shell.stdout.contains("You are root."), "\(shell.stdout)")
            #expect(shell.stdout.contains("/as works only on the local sandbox"), "\(shell.stdout)")
            #expect(shell.stdout.contains("You requested R-1"), "root approved its own request:\n\(shell.stdout)")
            #expect(try await scenario.status().hasSuffix(": awaiting approval"))

            // Without a configured approver list, no approval in the shell.
            try FileManager.default.removeItem(at: scenario.workspace.folder.appendingPathComponent("aegis-rotate.yaml"))
            let unconfigured = try scenario.shell()
            for line in ["/rotate cancel R-1", "/rotate jwt second", "approve R-2", "/quit"] { unconfigured.send(line) }
            _ = try await unconfigured.waitForExit(timeout: .seconds(60))
            #expect(unconfigured.stdout.contains("No shell approvers are configured"), "\(unconfigured.stdout)")
            #expect(try await scenario.version("jwt-signing-key", .current) == old, "something ran without an approval")
        }
    }
}
