import AegisAWS
import AegisCore
import AegisTestServers
import Foundation
import KubernetesFake
import Testing

/// What a rotation that recovered from a crash (a restart, or another replica's takeover) must
/// leave behind: the target agreeing with the store, and the deployment restarted after the change.
enum RecoveryChecks {
    static func expectTargetAgrees(_ strategy: CrashStrategy, scenario: Scenario, requirepass: RequirepassSetup?, point: String,
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
        case .postgresManual, .postgresRDSManaged:
            #expect(await scenario.postgresAccepts(newValue), "PostgreSQL refuses the AWSCURRENT password after \(point)")
            #expect(!(await scenario.postgresAccepts(oldValue)), "PostgreSQL still accepts the old password after \(point)")
        case .redisACL:
            #expect(await scenario.redisAccepts(newValue), "Redis refuses the AWSCURRENT password after \(point)")
            #expect(!(await scenario.redisAccepts(oldValue)), "Redis still accepts the old password after \(point)")
        case .redisRequirepass, .redisElastiCache:
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
    static func expectRestartedAfterChange(_ strategy: CrashStrategy, scenario: Scenario, point: String) async throws {
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
