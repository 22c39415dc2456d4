import AegisAWS
import AegisCore
import AegisTestServers
import Foundation
import Testing

/// `/rotate postgres`, `/rotate redis`, `/rotate iam` in the production shell against the real
/// PostgreSQL, redis-server and moto (IAM, STS, Secrets Manager), restarting the deployment at
/// the Kubernetes API fake and verifying at the aegis-api fake.
@Suite("production shell: PostgreSQL, Redis, IAM", .productionWorld, .serialized, .timeLimit(.minutes(5)))
struct ShellProviderRotationTests {
    @Test("PostgreSQL manual: the role's password is the new stored one; the old one is refused")
    func postgresManual() async throws {
        try await Scenario.with { scenario in
            let oldValue = try #require(try await scenario.value("postgres-password", stage: .current))
            #expect(await scenario.postgresAccepts(oldValue))

            let run = try await scenario.rotateInShell("postgres")
            #expect(run.stdout.contains("🎉 R-1 completed"), "\(run.stdout)")
            let newValue = try #require(try await scenario.value("postgres-password", stage: .current))
            #expect(newValue != oldValue && newValue.count == 32)
            #expect(await scenario.postgresAccepts(newValue), "the database accepts what the store holds")
            #expect(!(await scenario.postgresAccepts(oldValue)), "the old password is refused")
            #expect(try await scenario.value("postgres-password", stage: .previous) == oldValue)
            #expect(run.stdout.contains("SELECT 1 with the stored password"))
            #expect(run.stdout.contains("health .components.database"))
            #expect(await scenario.restartCount() == 1)
            let leaks = try await scenario.leaks(outputs: [run.stdout, run.stderr])
            #expect(leaks.isEmpty, "secret values found in: \(leaks)")
        }
    }

    @Test("Redis ACL: both passwords work while pods restart; only the new one after")
    func redisACL() async throws {
        try await Scenario.with { scenario in
            let oldValue = try #require(try await scenario.value("redis-auth-token", stage: .current))

            // Stop the bot right after the restart: this is the switch, when old and new pods coexist.
            try await scenario.requestAsOperator("/rotate redis end-to-end test")
            let first = try scenario.shell(["AEGIS_CRASH_POINT": "after:restart"])
            first.send("approve R-1")
            #expect(try await first.waitForExit(timeout: .seconds(60)) == -SIGKILL, "\(first.stdout)")
            let newValue = try #require(try await scenario.value("redis-auth-token", stage: .current))
            #expect(newValue != oldValue)
            #expect(await scenario.redisAccepts(oldValue), "old pods keep working during the switch")
            #expect(await scenario.redisAccepts(newValue), "new pods work during the switch")

            let second = try scenario.shell()
            second.closeInput()
            #expect(try await second.waitForExit(timeout: .seconds(60)) == 0, "\(second.stderr)")
            #expect(try await scenario.status().hasSuffix(": completed"))
            #expect(await scenario.redisAccepts(newValue))
            #expect(!(await scenario.redisAccepts(oldValue)), "the old password is gone once verification passed")
            let leaks = try await scenario.leaks(outputs: [first.stdout, first.stderr, second.stdout, second.stderr])
            #expect(leaks.isEmpty, "secret values found in: \(leaks)")
        }
    }

    @Test("IAM: new key verified with STS, old key Inactive, deleted by the durable timer after the grace period")
    func iamAccessKeys() async throws {
        try await Scenario.with { scenario in
            let old = try #require(scenario.initialVersions["aws-iam-access-keys"])
            let oldKey = try #require(try await scenario.iamKeys().keys.first)

            let run = try await scenario.rotateInShell("iam", environment: ["AEGIS_IAM_GRACE": "2s"])
            #expect(run.stdout.contains("🎉 R-1 completed"), "\(run.stdout)")
            let new = try #require(try await scenario.version("aws-iam-access-keys", .current))
            #expect(new != old)
            #expect(try await scenario.stsAccepts(pairOf: new), "STS knows the new key as aegis-api")
            var keys = try await scenario.iamKeys()
            #expect(keys[oldKey] == .inactive)
            #expect(keys.count == 2 && keys.values.filter { $0 == .active }.count == 1)
            #expect(run.stdout.contains("STS GetCallerIdentity with the new key"))

            try await Task.sleep(for: .seconds(2))
            let later = try scenario.shell(["AEGIS_IAM_GRACE": "2s"])
            try await later.waitForOutput("deleted old access key \(oldKey) of aegis-api after the grace period", timeout: .seconds(90))
            later.closeInput()
            #expect(try await later.waitForExit() == 0)
            keys = try await scenario.iamKeys()
            #expect(keys[oldKey] == nil, "the old key is deleted")
            #expect(keys.count == 1)
            #expect(try await scenario.stsAccepts(pairOf: new))
            let leaks = try await scenario.leaks(outputs: [run.stdout, run.stderr, later.stdout, later.stderr])
            #expect(leaks.isEmpty, "secret values found in: \(leaks)")
        }
    }

    /// moto's `RotateSecret` has no rotation Lambda to run: it puts an empty version on AWSCURRENT
    /// at once. That is the runbook's "auto-rotation fails" case, and the bot must say so and put
    /// AWSCURRENT back, not call an empty secret a new password.
    @Test("PostgreSQL aws-managed: RotateSecret without a working Lambda → auto-rotation fails, AWSCURRENT moved back, escalated")
    func postgresAWSManagedWithoutLambda() async throws {
        try await Scenario.with(edit: CommandsEdits.postgresAWSManaged) { scenario in
            let old = try #require(scenario.initialVersions["postgres-password"])
            let oldValue = try #require(try await scenario.value("postgres-password", old))
            let run = try await scenario.rotateInShell("postgres")
            #expect(run.stdout.contains("auto-rotation failed"), "\(run.stdout)")
            #expect(run.stdout.contains("became AWSCURRENT without a value"))
            #expect(run.stdout.contains("↺ R-1 rolled back"))
            #expect(run.stdout.contains("[#platform-support]"))
            #expect(try await scenario.version("postgres-password", .current) == old)
            #expect(await scenario.postgresAccepts(oldValue))
            #expect(await scenario.restartCount() == 0)
            let leaks = try await scenario.leaks(outputs: [run.stdout, run.stderr])
            #expect(leaks.isEmpty, "secret values found in: \(leaks)")
        }
    }

    @Test("due in production reads Secrets Manager: seeded secrets are ok with a date; a missing secret is unknown with the reason")
    func dueFromSecretsManager() async throws {
        try await Scenario.with { scenario in
            let result = try await scenario.workspace.run(["due", "--json"], environment: scenario.environment())
            #expect(result.status == 0, "\(result.stderr)")
            let decoder = JSONDecoder()
            decoder.dateDecodingStrategy = .iso8601
            let items = try decoder.decode([DueItem].self, from: Data(result.stdout.utf8))
            for id in Scenario.secrets {
                let item = try #require(items.first { $0.secretID == id })
                #expect(item.status == .ok, "\(id): \(item)")
                let last = try #require(item.lastRotated, "\(id) has a date from the store")
                #expect(abs(last.timeIntervalSinceNow) < 300)
            }
            let unseeded = try #require(items.first { !Scenario.secrets.contains($0.secretID) })
            #expect(unseeded.status == .unknown)
            #expect(unseeded.note?.contains("ResourceNotFoundException") == true, "\(String(describing: unseeded.note))")
        }
    }
}
