import AegisAWS
import AegisCore
import AegisTestServers
import Foundation
import Testing

/// SPEC §3.6 against the real servers: a check that fails after the restart puts the old secret
/// back in the store, at the target (the database role, the configmap), restarts again,
/// re-verifies the old version and escalates to #platform-support.
@Suite("production shell: rollback when verification fails", .productionWorld, .serialized, .timeLimit(.minutes(5)))
struct ProductionRollbackTests {
    @Test("PostgreSQL: health .components.database fails after the restart → old password back in the store and the database")
    func postgresHealthFails() async throws {
        try await Scenario.with { scenario in
            let old = try #require(scenario.initialVersions["postgres-password"])
            let oldValue = try #require(try await scenario.value("postgres-password", old))
            // Pods started by the rotation's restart cannot reach the database; the pods the
            // rollback starts (with the old password) can.
            let watcher = scenario.behaveAfterRestarts([1: .init(components: ["database": "down"]),
                                                        2: .init(components: ["database": "ok"])])
            defer { watcher.cancel() }

            let run = try await scenario.rotateInShell("postgres")
            #expect(run.stdout.contains("↺ R-1 rolled back"), "\(run.stdout)")
            #expect(try await scenario.status().hasSuffix(": rolled back"))
            // The store: AWSCURRENT is the old version again, nothing left pending.
            #expect(try await scenario.version("postgres-password", .current) == old)
            #expect(try await scenario.version("postgres-password", .pending) == nil)
            let versions = try await scenario.store.versions(secret: try scenario.definition("postgres-password").storage)
            let new = try #require(versions.map(\.versionID).first { $0 != old })
            let newValue = try #require(try await scenario.value("postgres-password", new))
            // The target: the role's password is the old one again.
            #expect(await scenario.postgresAccepts(oldValue))
            #expect(!(await scenario.postgresAccepts(newValue)))
            // Restarted again with the restored secret, re-verified, escalated with the runbook's action.
            #expect(await scenario.restartCount() == 2)
            #expect(run.stdout.contains("[#platform-support]"), "\(run.stdout)")
            #expect(run.stdout.contains("health .components.database"))
            #expect(run.stdout.contains("set the role's password back to the AWSPREVIOUS version of aegis/db-password"))
            #expect(run.stdout.contains("password set back to version \(old)"))
            let audit = try await scenario.workspace.run(["audit", "verify"], environment: scenario.environment())
            #expect(audit.status == 0, "\(audit.stderr)")
            let leaks = try await scenario.leaks(outputs: [run.stdout, run.stderr])
            #expect(leaks.isEmpty, "secret values found in: \(leaks)")
        }
    }

    @Test("JWT: the new pods log signature failures → configmap and store back to the old key, restarted, escalated")
    func jwtLogScanFails() async throws {
        try await Scenario.with { scenario in
            let old = try #require(scenario.initialVersions["jwt-signing-key"])
            let configBefore = await scenario.configMap()
            let watcher = scenario.behaveAfterRestarts([
                1: .init(logLines: ["GET /api/v1/findings 401 Unauthorized: token signature invalid (kid unknown)"]),
                2: .init(logLines: ["GET /api/v1/findings 200"]),
            ])
            defer { watcher.cancel() }

            let run = try await scenario.rotateInShell("jwt")
            #expect(run.stdout.contains("↺ R-1 rolled back"), "\(run.stdout)")
            #expect(try await scenario.version("jwt-signing-key", .current) == old)
            #expect(try await scenario.version("jwt-signing-key", .pending) == nil)
            #expect(await scenario.configMap() == configBefore, "the configmap holds exactly what it held before")
            #expect(await scenario.restartCount() == 2)
            #expect(run.stdout.contains("pod logs free of auth errors"))
            #expect(run.stdout.contains("[#platform-support]"))
            #expect(run.stdout.contains("put jwt.signing_key back to the AWSPREVIOUS version"))
            let leaks = try await scenario.leaks(outputs: [run.stdout, run.stderr])
            #expect(leaks.isEmpty, "secret values found in: \(leaks)")
        }
    }
}
