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
    /// Every step of every strategy: 36 cases.
    static let cases = CrashStrategy.allCases.flatMap { strategy in strategy.steps.map { (strategy, $0) } }

    @Test("SIGKILL after the step, restart, completed and consistent", arguments: cases)
    func crashAfterStep(strategy: CrashStrategy, step: String) async throws {
        try await crashAndRecover(strategy, after: step)
    }

    // MARK: - One case

    /// A fresh scenario; the crash run, the recovery run and the checks; the scenario (and for
    /// requirepass the default user's password) put back whether the checks passed or threw.
    func crashAndRecover(_ strategy: CrashStrategy, after step: String) async throws {
        let scenario = try await Scenario.start(edit: strategy.edit)
        var requirepass: RequirepassSetup?
        do {
            if strategy == .redisRequirepass { requirepass = try await RequirepassSetup.start(scenario) }
            try await run(strategy, after: step, in: scenario, requirepass: requirepass)
        } catch {
            try? await requirepass?.restore()
            await scenario.stop()
            throw error
        }
        try await requirepass?.restore()
        await scenario.stop()
    }

    func run(_ strategy: CrashStrategy, after step: String, in scenario: Scenario, requirepass: RequirepassSetup?) async throws {
        let secret = strategy.secret
        let definition = try scenario.definition(secret)
        #expect(definition.steps.map(\.name) == strategy.steps, "the suite must crash after every step of \(strategy)")
        let old = try #require(scenario.initialVersions[secret])
        let oldValue = try #require(try await scenario.value(secret, old))
        let extra = requirepass?.environment ?? [:]
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
        try await expectTargetAgrees(strategy, scenario: scenario, requirepass: requirepass, point: point,
                                     current: current, newValue: newValue, old: old, oldValue: oldValue)

        // 6. The deployment restarted after the change and its rollout finished.
        try await expectRestartedAfterChange(strategy, scenario: scenario, point: point)

        // 7. The audit chain holds; no secret value in anything either run wrote.
        let audit = try await scenario.workspace.run(["audit", "verify"], environment: scenario.environment())
        #expect(audit.status == 0, "audit verify after \(point): \(audit.stdout)\(audit.stderr)")
        var values = try await scenario.allSecretValues()
        if let requirepass { values.append(requirepass.adminPassword) }
        let leaks = LeakScanner.leaks(of: values, in: LeakScanner.haystacks(scenario.workspace,
                                                                            outputs: [first.stdout, first.stderr, second.stdout, second.stderr]))
        #expect(leaks.isEmpty, "secret values found after \(point) in: \(leaks)")
    }

    // MARK: - Target

    func expectTargetAgrees(_ strategy: CrashStrategy, scenario: Scenario, requirepass: RequirepassSetup?, point: String,
                            current: String, newValue: String, old: String, oldValue: String) async throws {
        switch strategy {
        case .jwtSingleRollout, .jwtVerifyFirst:
            let config = await scenario.configMap()
            #expect(config["jwt.signing_key_id"] == current, "configmap and store disagree after \(point)")
            let signsWithCurrent = config["jwt.signing_key"] == newValue
            #expect(signsWithCurrent, "jwt.signing_key is not the AWSCURRENT value after \(point)")
            #expect(config["jwt.previous_signing_key_id"] == old, "after \(point)")
            let verifiesOld = config["jwt.previous_signing_key"] == oldValue
            #expect(verifiesOld, "jwt.previous_signing_key is not the old value after \(point) (grace is 1h)")
            let leftovers = config.keys.filter { $0.hasPrefix("jwt.next_signing_key") }.sorted()
            #expect(leftovers.isEmpty, "verify-only key left behind after \(point): \(leftovers)")
        case .postgresManual:
            #expect(await scenario.postgresAccepts(newValue), "PostgreSQL refuses the AWSCURRENT password after \(point)")
            #expect(!(await scenario.postgresAccepts(oldValue)), "PostgreSQL still accepts the old password after \(point)")
        case .redisACL:
            #expect(await scenario.redisAccepts(newValue), "Redis refuses the AWSCURRENT password after \(point)")
            #expect(!(await scenario.redisAccepts(oldValue)), "Redis still accepts the old password after \(point)")
        case .redisRequirepass:
            let setup = try #require(requirepass)
            #expect(await setup.defaultUserAccepts(newValue), "Redis (requirepass) refuses the AWSCURRENT password after \(point)")
            #expect(!(await setup.defaultUserAccepts(oldValue)), "Redis (requirepass) still accepts the old password after \(point)")
        case .iamTwoKeys:
            let newKey = try IAMAccessKeyPair(stored: SecretValue(utf8: newValue), versionID: current).accessKeyID
            let oldKey = try IAMAccessKeyPair(stored: SecretValue(utf8: oldValue), versionID: old).accessKeyID
            let keys = try await scenario.iamKeys()
            #expect(keys[newKey] == .active, "the AWSCURRENT key is not Active after \(point): \(keys)")
            #expect(keys[oldKey] == nil || keys[oldKey] == .inactive, "the old key is still Active after \(point): \(keys)")
            #expect(keys.values.filter { $0 == .active }.count == 1, "not exactly one Active key after \(point): \(keys)")
            #expect(try await scenario.stsAccepts(pairOf: current), "STS refuses the AWSCURRENT pair after \(point)")
            // Not asserted: STS refusing the old pair. moto's STS still answers for an Inactive key
            // (its IAM reports the key Inactive, checked above), so it cannot tell us.
        }
    }

    /// At least one restart (two for verify-first), the last one after the last configmap change,
    /// and the rollout complete. Strategies without a configmap change restart after `promote`
    /// by the plan's order, which the engine keeps across the crash.
    func expectRestartedAfterChange(_ strategy: CrashStrategy, scenario: Scenario, point: String) async throws {
        let requests = await scenario.kube.requests
        let restarts = requests.indices.filter {
            requests[$0].method == "PATCH" && requests[$0].path.hasSuffix("/deployments/\(Scenario.location.deployment)")
        }
        let configChanges = requests.indices.filter {
            requests[$0].method == "PATCH" && requests[$0].path.hasSuffix("/configmaps/\(Scenario.location.configMap)")
        }
        #expect(restarts.count >= (strategy == .jwtVerifyFirst ? 2 : 1), "deployment restarts after \(point): \(restarts.count)")
        if let lastChange = configChanges.last {
            #expect((restarts.last ?? -1) > lastChange, "no restart after the last configmap change after \(point)")
        }
        if strategy == .jwtSingleRollout || strategy == .jwtVerifyFirst {
            #expect(!configChanges.isEmpty, "the configmap was never changed after \(point)")
        }
        let deployment = try #require(await scenario.kube.deployment(name: Scenario.location.deployment))
        #expect(deployment.rolloutFinished, "rollout of deployment/\(Scenario.location.deployment) unfinished after \(point)")
    }
}
