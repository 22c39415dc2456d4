import AegisAWS
import AegisCore
import AegisSlackTestSupport
import AegisTestServers
import Foundation
import NIOHTTP1
import Testing

/// PostgreSQL with `strategy: rds-managed`: RDS's own managed master password. The bot's
/// `ModifyDBInstance … RotateMasterUserPassword` reaches the RDS fake (`rds_fake.py`), which, as
/// RDS does, rotates the master secret it keeps in Secrets Manager (moto) and runs `ALTER ROLE` on
/// the real PostgreSQL; the bot follows `SecretStatus` to `active`, copies the new password into
/// `aegis/db-password`, restarts and logs in with it. RDS sets that password, so a failure after
/// the rotation cannot be rolled back: the store keeps what the instance has, and the rotation is
/// escalated as failed.
@Suite("production: PostgreSQL rds-managed master password rotation", .productionWorld, .serialized, .timeLimit(.minutes(10)))
struct RDSManagedRotationTests {
    static func with(managed: Bool = true, _ body: @Sendable (Scenario, RDSSetup) async throws -> Void) async throws {
        try await Scenario.with(edit: CommandsEdits.postgresRDSManaged) { scenario in
            let rds = try await RDSSetup.start(scenario, managed: managed)
            do {
                try await body(scenario, rds)
                await rds.stop()
            } catch {
                await rds.stop()
                throw error
            }
        }
    }

    /// Every value a scan must not find: the scenario's, and every password RDS's secret held.
    static func values(_ scenario: Scenario, _ rds: RDSSetup) async throws -> [String] {
        var values = try await scenario.allSecretValues()
        let secret = StorageLocation(kind: .awsSecretsManager, name: rds.secretARN)
        for version in try await scenario.store.versions(secret: secret) {
            guard let stored = try await scenario.store.value(secret: secret, versionID: version.versionID) else { continue }
            values.append(stored.revealSecretString())
            values.append(try RDSMasterCredentials(stored: stored, secret: rds.secretARN, versionID: version.versionID).password.revealSecretString())
        }
        return values
    }

    /// After one completed rotation: RDS rotated once, on one accepted modify; the application's
    /// secret holds RDS's new password as AWSCURRENT (the seeded one AWSPREVIOUS, nothing
    /// pending); PostgreSQL takes only the new password; one restart.
    static func expectRotated(_ scenario: Scenario, _ rds: RDSSetup, oldValue: String) async throws {
        let rotations = try await rds.rotations()
        #expect(rotations.count == 1, "one rotation: \(rotations)")
        #expect(rotations.first?["result"] as? String == "succeeded", "\(rotations)")
        #expect(try await rds.modifyCalls() == [200], "one ModifyDBInstance, accepted")
        #expect(try await rds.instance()["secret_status"] as? String == "active")
        let current = try #require(try await scenario.version("postgres-password", .current))
        #expect(current != rds.seededVersion)
        #expect(try await scenario.version("postgres-password", .previous) == rds.seededVersion)
        #expect(try await scenario.version("postgres-password", .pending) == nil)
        let newValue = try #require(try await scenario.value("postgres-password", current))
        #expect(try await rds.rdsPassword(scenario) == newValue, "the store holds the password RDS set")
        #expect(newValue != oldValue)
        #expect(await scenario.postgresAccepts(newValue), "SELECT 1 with the new password")
        #expect(!(await scenario.postgresAccepts(oldValue)), "the old password no longer logs in")
        #expect(await scenario.restartCount() == 1, "restarted once, after the rotation")
    }

    @Test("shell: ModifyDBInstance RotateMasterUserPassword, followed to active, copied, restarted, SELECT 1 with the new password; nothing leaks")
    func shell() async throws {
        try await Self.with { scenario, rds in
            let oldValue = try #require(try await scenario.value("postgres-password", rds.seededVersion))
            let run = try await scenario.rotateInShell("postgres", environment: rds.environment)
            #expect(run.stdout.contains("🎉 R-1 completed"), "\(run.stdout)\n\(run.stderr)")
            #expect(run.stdout.contains("RDS rotated the master password of aegis-db"), "\(run.stdout)")
            try await Self.expectRotated(scenario, rds, oldValue: oldValue)
            let leaks = LeakScanner.leaks(of: try await Self.values(scenario, rds),
                                          in: LeakScanner.haystacks(scenario.workspace, outputs: [run.stdout, run.stderr, rds.fake.log]))
            #expect(leaks.isEmpty, "secret values found in: \(leaks)")
        }
    }

    @Test("Slack: completed and verified with the new password; nothing leaks")
    func slack() async throws {
        try await Self.with { scenario, rds in
            let oldValue = try #require(try await scenario.value("postgres-password", rds.seededVersion))
            try await scenario.withSlackBot(rds.environment) { bot in
                let request = try await scenario.rotateInSlack(bot, "postgres quarterly")
                let thread = await bot.threadText(request)
                #expect(thread.contains("🎉 R-1 completed"), "\(thread)")
                #expect(thread.contains("Verification after rotation (R-1): passed"), "\(thread)")
                try await Self.expectRotated(scenario, rds, oldValue: oldValue)
                let values = try await Self.values(scenario, rds)
                let leaks = await bot.leaks(of: values) + (try await scenario.leaks(outputs: [rds.fake.log]))
                #expect(leaks.isEmpty, "secret values found in: \(leaks)")
            }
        }
    }

    /// RDS's rotation fails at setSecret (the secret goes `impaired`, AWSPENDING left, AWSCURRENT
    /// untouched): the old password is still in force, so the rollback has nothing to undo.
    @Test("RDS cannot rotate (impaired): failed step, rolled back, the old password still works, escalated")
    func impaired() async throws {
        try await Self.with { scenario, rds in
            let oldValue = try #require(try await scenario.value("postgres-password", rds.seededVersion))
            _ = try await rds.fake.control(.POST, "/_fake/config", ["fail_step": "setSecret"])
            let run = try await scenario.rotateInShell("postgres", environment: rds.environment)
            #expect(run.stdout.contains("RDS could not rotate the master password of aegis-db: SecretStatus impaired"), "\(run.stdout)")
            #expect(run.stdout.contains("↺ R-1 rolled back"), "\(run.stdout)")
            #expect(run.stdout.contains("nothing to undo"), "\(run.stdout)")
            #expect(try await rds.rotations().first?["result"] as? String == "failed: setSecret")
            #expect(try await scenario.version("postgres-password", .current) == rds.seededVersion)
            #expect(try await scenario.version("postgres-password", .pending) == nil)
            #expect(await scenario.postgresAccepts(oldValue), "the old password still logs in")
            let leaks = LeakScanner.leaks(of: try await Self.values(scenario, rds),
                                          in: LeakScanner.haystacks(scenario.workspace, outputs: [run.stdout, run.stderr, rds.fake.log]))
            #expect(leaks.isEmpty, "secret values found in: \(leaks)")
        }
    }

    @Test("an instance whose master password RDS does not manage: refused before any change, rolled back")
    func notManaged() async throws {
        try await Self.with(managed: false) { scenario, rds in
            let old = try #require(scenario.initialVersions["postgres-password"])
            let oldValue = try #require(try await scenario.value("postgres-password", old))
            let run = try await scenario.rotateInShell("postgres", environment: rds.environment)
            #expect(run.stdout.contains("RDS does not manage the master password of aegis-db (ManageMasterUserPassword is off)"), "\(run.stdout)")
            #expect(run.stdout.contains("↺ R-1 rolled back"), "\(run.stdout)")
            #expect(try await rds.modifyCalls().isEmpty, "no ModifyDBInstance was sent")
            #expect(try await scenario.version("postgres-password", .current) == old)
            #expect(await scenario.postgresAccepts(oldValue))
        }
    }

    /// Verification fails after RDS rotated (a PgBouncer whose auth_file still holds the old
    /// password): the rollback cannot restore the old password, so it keeps the store at the new
    /// one, the rotation ends FAILED and is escalated with why.
    @Test("verification fails after RDS rotated: cannot be undone, the store keeps the instance's password, FAILED and escalated")
    func failsAfterRotation() async throws {
        try await Self.with { scenario, rds in
            let oldValue = try #require(try await scenario.value("postgres-password", rds.seededVersion))
            let pgbouncer = try await PgBouncerTestServer.start(in: scenario.world.postgres, staleLogins: ["aegis": oldValue])
            do {
                let run = try await scenario.rotateInShell("postgres", environment: rds.environment.merging(["AEGIS_PGBOUNCER_URL": pgbouncer.url]) { $1 })
                #expect(run.stdout.contains("✗ SELECT 1 through PgBouncer"), "\(run.stdout)")
                #expect(run.stdout.contains("‼️ R-1 FAILED"), "\(run.stdout)")
                #expect(run.stdout.contains("cannot be undone: RDS rotated the master password of aegis-db"), "\(run.stdout)")
                let current = try #require(try await scenario.version("postgres-password", .current))
                let newValue = try #require(try await scenario.value("postgres-password", current))
                #expect(current != rds.seededVersion, "the store was not put back to a password the instance no longer takes")
                #expect(try await rds.rdsPassword(scenario) == newValue, "store and instance agree")
                #expect(await scenario.postgresAccepts(newValue))
                #expect(try await rds.modifyCalls() == [200], "one rotation: the rollback did not rotate again")
                #expect(try await scenario.status("R-1").hasSuffix(": FAILED (needs a human)"))
                let leaks = LeakScanner.leaks(of: try await Self.values(scenario, rds),
                                              in: LeakScanner.haystacks(scenario.workspace, outputs: [run.stdout, run.stderr, rds.fake.log, pgbouncer.log]))
                #expect(leaks.isEmpty, "secret values found in: \(leaks)")
                await pgbouncer.stop()
            } catch {
                await pgbouncer.stop()
                throw error
            }
        }
    }
}
