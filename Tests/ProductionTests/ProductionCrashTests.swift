import AegisAWS
import AegisCore
import AegisTestServers
import Foundation
import KubernetesFake
import Testing

/// SIGKILL the production shell (AEGIS_ENV=production, real PostgreSQL, redis-server and moto)
/// right after every step of every rotation strategy, start it again, and check that the
/// restarted bot finished the rotation with the target, the store and the deployment in
/// agreement and the service's credential working: the production counterpart of the local
/// sandbox's `CrashRecoveryTests`.
@Suite("production crash recovery: SIGKILL after every step", .productionWorld, .serialized, .timeLimit(.minutes(20)))
struct ProductionCrashTests {
    /// Every step of every strategy: 45 cases.
    static let cases = CrashStrategy.allCases.flatMap { strategy in strategy.steps.map { (strategy, $0) } }

    @Test("SIGKILL after the step, restart, completed and consistent", arguments: cases)
    func crashAfterStep(strategy: CrashStrategy, step: String) async throws {
        try await crashAndRecover(strategy, after: step)
    }

    // MARK: - One case

    /// A fresh scenario; the crash run, the recovery run and the checks; the scenario (and for
    /// requirepass and elasticache the default user's password) put back whether the checks
    /// passed or threw.
    func crashAndRecover(_ strategy: CrashStrategy, after step: String) async throws {
        let scenario = try await Scenario.start(edit: strategy.edit)
        var requirepass: RequirepassSetup?
        var elastiCache: ElastiCacheSetup?
        var rds: RDSSetup?
        do {
            switch strategy {
            case .redisRequirepass: requirepass = try await RequirepassSetup.start(scenario)
            case .redisElastiCache:
                elastiCache = try await ElastiCacheSetup.start(scenario)
                requirepass = elastiCache?.redis
            case .postgresRDSManaged: rds = try await RDSSetup.start(scenario)
            default: break
            }
            try await run(strategy, after: step, in: scenario, requirepass: requirepass, elastiCache: elastiCache, rds: rds)
        } catch {
            await rds?.stop()
            if let elastiCache { try? await elastiCache.stop() } else { try? await requirepass?.restore() }
            await scenario.stop()
            throw error
        }
        await rds?.stop()
        if let elastiCache { try await elastiCache.stop() } else { try await requirepass?.restore() }
        await scenario.stop()
    }

    func run(_ strategy: CrashStrategy, after step: String, in scenario: Scenario, requirepass: RequirepassSetup?,
             elastiCache: ElastiCacheSetup?, rds: RDSSetup?) async throws {
        let secret = strategy.secret
        let definition = try scenario.definition(secret)
        #expect(definition.steps.map(\.name) == strategy.steps, "the suite must crash after every step of \(strategy)")
        // With rds-managed the application secret was re-seeded with RDS's master password.
        let old = try #require(rds?.seededVersion ?? scenario.initialVersions[secret])
        let oldValue = try #require(try await scenario.value(secret, old))
        let extra = elastiCache?.environment() ?? requirepass?.environment ?? rds?.environment ?? [:]
        let point = "after:\(step)"

        // 1. Request and approve; the engine SIGKILLs itself right after the step is recorded done.
        try await scenario.requestAsOperator("/rotate \(secret) crash test", environment: extra)
        let first = try scenario.shell(extra.merging(["AEGIS_CRASH_POINT": point]) { $1 })
        first.send("approve R-1")
        let crashed = try await first.waitForExit(timeout: .seconds(60))
        #expect(crashed == -SIGKILL, "expected SIGKILL at \(point)\n\(first.stdout)\n\(first.stderr)")
        #expect(first.stderr.contains("crash point \(point) reached"), "\(first.stderr)")

        // 2. A new shell resumes the rotation; at end of input it waits until no rotation runs.
        let second = try scenario.shell(extra)
        second.closeInput()
        let recovered = try await second.waitForExit(timeout: .seconds(90))
        #expect(recovered == 0, "recovery after \(point) exited \(recovered)\n\(second.stdout)\n\(second.stderr)")

        // 3. The rotation finished.
        let status = try await scenario.status("R-1")
        #expect(status.hasSuffix(": completed"), "after \(point): \(status)\n\(second.stdout)")

        // 4. The store: AWSCURRENT is the new version, AWSPREVIOUS the old, nothing left pending.
        let current = try #require(try await scenario.version(secret, .current), "no AWSCURRENT after \(point)")
        let newValue = try #require(try await scenario.value(secret, current))
        #expect(current != old, "AWSCURRENT is still the old version after \(point)")
        #expect(try await scenario.version(secret, .previous) == old, "AWSPREVIOUS is not the old version after \(point)")
        let pending = try await scenario.store.versions(secret: definition.storage).filter { $0.stages.contains(.pending) }.map(\.versionID)
        #expect(pending.isEmpty, "stray AWSPENDING after \(point): \(pending)")
        let oldKept = try await scenario.value(secret, old) == oldValue
        #expect(oldKept, "the old version's value changed after \(point)")

        // 5. The target agrees with the store and the service's credential works.
        try await RecoveryChecks.expectTargetAgrees(strategy, scenario: scenario, requirepass: requirepass, point: point,
                                     current: current, newValue: newValue, old: old, oldValue: oldValue)

        if let elastiCache {
            #expect(try await elastiCache.modifications() == ["ROTATE", "SET"], "one ROTATE, one SET however often a step ran (\(point))")
        }
        if let rds {
            #expect(try await rds.modifyCalls() == [200], "one RotateMasterUserPassword however often the step ran (\(point))")
            #expect(try await rds.rdsPassword(scenario) == newValue, "RDS's secret and the store disagree after \(point)")
        }

        // 6. The deployment restarted after the change and its rollout finished.
        try await RecoveryChecks.expectRestartedAfterChange(strategy, scenario: scenario, point: point)

        // 7. The audit chain holds; no secret value in anything either run wrote.
        let audit = try await scenario.workspace.run(["audit", "verify"], environment: scenario.environment())
        #expect(audit.status == 0, "audit verify after \(point): \(audit.stdout)\(audit.stderr)")
        var values = try await scenario.allSecretValues()
        if let requirepass { values.append(requirepass.adminPassword) }
        let leaks = LeakScanner.leaks(of: values, in: LeakScanner.haystacks(scenario.workspace,
                                                                            outputs: [first.stdout, first.stderr, second.stdout, second.stderr]
                                                                                + [elastiCache?.fake.log, rds?.fake.log].compactMap { $0 }))
        #expect(leaks.isEmpty, "secret values found after \(point) in: \(leaks)")
    }
}

