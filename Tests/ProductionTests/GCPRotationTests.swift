import AegisCore
import AegisSlackTestSupport
import AegisTestServers
import Foundation
import Testing

/// The JWT signing key kept in GCP Secret Manager (the fake, over TLS, the bot signing in with a
/// service-account key): rotated in the production shell and through Slack, rolled back, and
/// SIGKILLed after every step of single-rollout, then restarted.
@Suite("production: JWT signing key in GCP Secret Manager", .productionWorld, .serialized, .timeLimit(.minutes(15)))
struct GCPRotationTests {
    static let steps = ["generate", "deploy-config", "restart", "verify", "promote", "grace-cleanup"]

    @Test("shell: new key current (alias), old one previous, the configmap signs with the new kid; nothing leaks")
    func shell() async throws {
        try await GCPScenario.with { scenario, gcp in
            let run = try await scenario.rotateInShell("jwt", environment: gcp.environment())
            #expect(run.stdout.contains("🎉 R-1 completed"), "\(run.stdout)")
            let stages = try await gcp.stages()
            let current = try #require(stages.current)
            #expect(current != gcp.initialValue && stages.previous == gcp.initialValue)
            let config = await scenario.configMap()
            #expect(config["jwt.signing_key"] == current && config["jwt.signing_key_id"] == stages.currentID)
            #expect(config["jwt.previous_signing_key"] == gcp.initialValue && config["jwt.previous_signing_key_id"] == "gcp-1")
            let leaks = try await gcp.leaks(scenario, outputs: [run.stdout, run.stderr])
            #expect(leaks.isEmpty, "secret values found in: \(leaks)")
        }
    }

    @Test("new pods log signature failures: rolled back, version 1 current again and newest, the new one disabled, not destroyed")
    func rollback() async throws {
        try await GCPScenario.with { scenario, gcp in
            let watcher = scenario.behaveAfterRestarts([
                1: .init(logLines: ["GET /api/v1/findings 401 Unauthorized: token signature invalid (kid unknown)"]),
                2: .init(logLines: ["GET /api/v1/findings 200"]),
            ])
            defer { watcher.cancel() }
            let run = try await scenario.rotateInShell("jwt", environment: gcp.environment())
            #expect(run.stdout.contains("↺ R-1 rolled back"), "\(run.stdout)")
            let stages = try await gcp.stages()
            #expect(stages.current == gcp.initialValue && stages.currentID == "gcp-1")
            let versions = try await gcp.gcp.secret(GCPScenario.secret).versions
            #expect(versions.last?["value"] as? String == gcp.initialValue, "latest is the old key again")
            #expect(versions.map { $0["state"] as? String } == ["ENABLED", "DISABLED", "ENABLED"])
            #expect(await scenario.configMap()["jwt.signing_key"] == gcp.initialValue)
            let leaks = try await gcp.leaks(scenario, outputs: [run.stdout, run.stderr])
            #expect(leaks.isEmpty, "secret values found in: \(leaks)")
        }
    }

    @Test("Slack: completed, verified; nothing leaks")
    func slack() async throws {
        try await GCPScenario.with { scenario, gcp in
            try await scenario.withSlackBot(gcp.environment()) { bot in
                let request = try await scenario.rotateInSlack(bot, "jwt quarterly")
                let thread = await bot.threadText(request)
                #expect(thread.contains("Verification after rotation (R-1): passed"), "\(thread)")
                #expect(try await gcp.stages().previous == gcp.initialValue)
                let values = try await gcp.gcp.allValues(GCPScenario.secret) + scenario.allSecretValues()
                let leaks = await bot.leaks(of: values.filter { $0.count >= 16 })
                #expect(leaks.isEmpty, "secret values found in: \(leaks)")
            }
        }
    }

    @Test("SIGKILL after the step, restart: completed, store and configmap agree, the old key still verifies", arguments: steps)
    func crashAfterStep(step: String) async throws {
        try await GCPScenario.with { scenario, gcp in
            #expect(try scenario.definition("jwt-signing-key").steps.map(\.name) == Self.steps, "crash after every step of single-rollout")
            let environment = gcp.environment()
            let point = "after:\(step)"
            try await scenario.requestAsOperator("/rotate jwt crash test", environment: environment)
            let first = try scenario.shell(environment.merging(["AEGIS_CRASH_POINT": point]) { $1 })
            first.send("approve R-1")
            #expect(try await first.waitForExit(timeout: .seconds(60)) == -SIGKILL, "expected SIGKILL at \(point)\n\(first.stdout)\n\(first.stderr)")

            let second = try scenario.shell(environment)
            second.closeInput()
            #expect(try await second.waitForExit(timeout: .seconds(90)) == 0, "\(second.stdout)\n\(second.stderr)")
            let status = try await scenario.status("R-1")
            #expect(status.hasSuffix(": completed"), "after \(point): \(status)\n\(second.stdout)")

            let stages = try await gcp.stages()
            let config = await scenario.configMap()
            #expect(stages.current != gcp.initialValue && config["jwt.signing_key"] == stages.current, "store and configmap agree after \(point)")
            #expect(config["jwt.signing_key_id"] == stages.currentID)
            #expect(config["jwt.previous_signing_key"] == gcp.initialValue, "the old key still verifies during the grace period (\(point))")
            let versions = try await gcp.gcp.secret(GCPScenario.secret).versions
            #expect(versions.count == 2, "one version added, however often the step ran (\(point)): \(versions.count)")
            try await RecoveryChecks.expectRestartedAfterChange(.jwtSingleRollout, scenario: scenario, point: point)
            let leaks = try await gcp.leaks(scenario, outputs: [first.stdout, first.stderr, second.stdout, second.stderr])
            #expect(leaks.isEmpty, "secret values found in: \(leaks)")
        }
    }
}
