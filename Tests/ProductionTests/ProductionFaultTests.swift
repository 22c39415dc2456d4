import AegisAWS
import AegisCore
import AegisTestServers
import Foundation
import KubernetesFake
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Providers misbehaving mid-rotation, against the real servers: HTTP 500s from the Kubernetes
/// API, moto paused so AWS calls time out, PostgreSQL refusing the bot's admin login. Each ends
/// with a clear message and an escalation, nothing half-done, and no secret in any output.
@Suite("production shell: provider faults mid-rotation", .productionWorld, .serialized, .timeLimit(.minutes(5)))
struct ProductionFaultTests {
    @Test("Kubernetes answers 500 twice: the step is retried with backoff and the rotation completes")
    func kubernetes500ThenRecovers() async throws {
        try await Scenario.with { scenario in
            // The JWT rotation's first Kubernetes call is deploy-config reading the configmap.
            await scenario.kube.failNext(2, status: 500)
            let run = try await scenario.rotateInShell("jwt", environment: ["AEGIS_STEP_ATTEMPTS": "3"])
            #expect(run.stdout.contains("🎉 R-1 completed"), "\(run.stdout)")
            let log = try String(contentsOf: scenario.workspace.logFile, encoding: .utf8)
            #expect(log.components(separatedBy: "step failed transiently, retrying").count - 1 == 2, "two retries logged")
            let current = try #require(try await scenario.version("jwt-signing-key", .current))
            #expect(await scenario.configMap()["jwt.signing_key_id"] == current)
            let leaks = try await scenario.leaks(outputs: [run.stdout, run.stderr])
            #expect(leaks.isEmpty, "secret values found in: \(leaks)")
        }
    }

    @Test("Kubernetes answers 500 through every restart attempt: rolled back in the store and the database, escalated")
    func kubernetes500DuringRestart() async throws {
        try await Scenario.with { scenario in
            let old = try #require(scenario.initialVersions["postgres-password"])
            let oldValue = try #require(try await scenario.value("postgres-password", old))
            // The PostgreSQL rotation's first Kubernetes call is the restart, after the role's
            // password and the store's AWSCURRENT have changed. Three attempts, three 500s.
            await scenario.kube.failNext(3, status: 500)
            let run = try await scenario.rotateInShell("postgres", environment: ["AEGIS_STEP_ATTEMPTS": "3"])
            #expect(run.stdout.contains("✗ Step 4/5 `restart` failed"), "\(run.stdout)")
            #expect(run.stdout.contains("HTTP 500") || run.stdout.contains("500"), "the failure names the answer")
            #expect(run.stdout.contains("↺ R-1 rolled back"))
            #expect(run.stdout.contains("[#platform-support]"))
            #expect(try await scenario.version("postgres-password", .current) == old)
            #expect(try await scenario.version("postgres-password", .pending) == nil)
            #expect(await scenario.postgresAccepts(oldValue), "the role's password is the old one again")
            let versions = try await scenario.store.versions(secret: try scenario.definition("postgres-password").storage)
            for version in versions.map(\.versionID) where version != old {
                let value = try #require(try await scenario.value("postgres-password", version))
                #expect(!(await scenario.postgresAccepts(value)), "the new password no longer works")
            }
            let leaks = try await scenario.leaks(outputs: [run.stdout, run.stderr])
            #expect(leaks.isEmpty, "secret values found in: \(leaks)")
        }
    }

    @Test("moto stops answering mid-rotation: AWS calls time out, are retried with backoff, and the rotation rolls back once it answers again")
    func motoPausedMidRotation() async throws {
        try await Scenario.with { scenario in
            let old = try #require(scenario.initialVersions["postgres-password"])
            let oldValue = try #require(try await scenario.value("postgres-password", old))
            // Hold the rotation in its restart, then pause moto: the checks and the rollback
            // reach a store that does not answer.
            await scenario.kube.stallRollouts(true)
            try await scenario.requestAsOperator("/rotate postgres fault test", environment: ["AEGIS_PROVIDER_TIMEOUT": "1s", "AEGIS_STEP_ATTEMPTS": "6"])
            let shell = try scenario.shell(["AEGIS_PROVIDER_TIMEOUT": "1s", "AEGIS_STEP_ATTEMPTS": "6"])
            for line in ["approve R-1", "/wait", "/quit"] { shell.send(line) }
            try await waitUntil("the restart began") { await scenario.restartCount() == 1 }
            let moto = scenario.moto.processID
            kill(moto, SIGSTOP)
            defer { kill(moto, SIGCONT) }
            await scenario.kube.stallRollouts(false)
            try await waitUntil("an undo timed out and was retried", timeout: .seconds(90)) {
                let log = (try? String(contentsOf: scenario.workspace.logFile, encoding: .utf8)) ?? ""
                return log.contains("transient failure, retrying") && log.contains("undo promote")
            }
            kill(moto, SIGCONT)
            #expect(try await shell.waitForExit(timeout: .seconds(90)) == 0, "\(shell.stderr)")
            #expect(shell.stdout.contains("Verification after rotation (R-1): FAILED"), "\(shell.stdout)")
            #expect(shell.stdout.contains("AWS Secrets Manager GetSecretValue: RequestTimeout"), "the check says why it failed")
            #expect(shell.stdout.contains("current moved back to \(old)"), "the escalation says what was restored")
            #expect(shell.stdout.contains("↺ R-1 rolled back"))
            #expect(shell.stdout.contains("[#platform-support]"))
            #expect(try await scenario.version("postgres-password", .current) == old)
            #expect(await scenario.postgresAccepts(oldValue))
            let leaks = try await scenario.leaks(outputs: [shell.stdout, shell.stderr])
            #expect(leaks.isEmpty, "secret values found in: \(leaks)")
        }
    }

    @Test("PostgreSQL refuses the admin login: nothing changed, the pending version is discarded, escalated")
    func postgresRefusesAdmin() async throws {
        try await Scenario.with { scenario in
            let old = try #require(scenario.initialVersions["postgres-password"])
            let oldValue = try #require(try await scenario.value("postgres-password", old))
            let wrong = "wrong-admin-password-\(UUID().uuidString)"
            let postgres = scenario.world.postgres
            let run = try await scenario.rotateInShell("postgres", environment: [
                "DATABASE_URL": "postgres://postgres:\(wrong)@127.0.0.1:\(postgres.port)/postgres?sslmode=disable"])
            #expect(run.stdout.contains("✗ Step 2/5 `alter-role-password` failed"), "\(run.stdout)")
            #expect(run.stdout.contains("login as role 'postgres' (DATABASE_URL)"), "the message names the setting to fix")
            #expect(run.stdout.contains("↺ R-1 rolled back"))
            #expect(run.stdout.contains("[#platform-support]"))
            #expect(try await scenario.version("postgres-password", .current) == old)
            #expect(try await scenario.version("postgres-password", .pending) == nil)
            #expect(await scenario.postgresAccepts(oldValue), "the role's password never changed")
            #expect(await scenario.restartCount() == 0, "nothing to restart: nothing changed")
            let haystacks = LeakScanner.haystacks(scenario.workspace, outputs: [run.stdout, run.stderr])
            let leaks = LeakScanner.leaks(of: try await scenario.allSecretValues() + [wrong], in: haystacks)
            #expect(leaks.isEmpty, "secret values found in: \(leaks)")
        }
    }
}
