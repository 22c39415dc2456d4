import AegisCore
import AegisSlackTestSupport
import AegisTestServers
import Foundation
import NIOHTTP1
import Testing

/// PostgreSQL with `strategy: aws-managed`, the success path: the bot's `RotateSecret` reaches a
/// stand-in for the RDS rotation Lambda (`rotation_lambda_fake.py`, in front of moto), which stages
/// AWSPENDING, runs `ALTER ROLE` on the real PostgreSQL, tests the login and moves AWSCURRENT; the
/// bot follows AWSPENDING to AWSCURRENT, restarts, and logs in with the new password. (Without a
/// Lambda, see `ShellProviderRotationTests.postgresAWSManagedWithoutLambda`.)
@Suite("production: PostgreSQL aws-managed rotation with a rotation function", .productionWorld, .serialized, .timeLimit(.minutes(10)))
struct AWSManagedRotationTests {
    static func with(_ body: @Sendable (Scenario, PythonFake, PgBouncerTestServer) async throws -> Void) async throws {
        try await Scenario.with(edit: CommandsEdits.postgresAWSManaged) { scenario in
            let bot = scenario.environment()
            let lambda = try await PythonFake.start("rotation_lambda", arguments: [
                "--upstream", bot["AWS_ENDPOINT_URL"] ?? "", "--region", "us-east-1",
                "--access-key-id", bot["AWS_ACCESS_KEY_ID"] ?? "", "--secret-access-key", bot["AWS_SECRET_ACCESS_KEY"] ?? "",
                "--pg-port", "\(scenario.world.postgres.port)", "--pg-admin-password", scenario.world.postgres.adminPassword.revealSecretString(),
                "--psql", PostgresTestServer.binFolders[0] + "/psql",
            ])
            let pgbouncer: PgBouncerTestServer
            do { pgbouncer = try await PgBouncerTestServer.start(in: scenario.world.postgres) } catch {
                await lambda.stop()
                throw error
            }
            do {
                try await body(scenario, lambda, pgbouncer)
                await pgbouncer.stop()
                await lambda.stop()
            } catch {
                await pgbouncer.stop()
                await lambda.stop()
                throw error
            }
        }
    }

    /// The bot's settings: Secrets Manager through the stand-in, and PgBouncer to verify.
    static func environment(_ lambda: PythonFake, _ pgbouncer: PgBouncerTestServer) -> [String: String] {
        ["AWS_ENDPOINT_URL_SECRETS_MANAGER": lambda.url, "AEGIS_PGBOUNCER_URL": pgbouncer.url]
    }

    static func pgBouncerPassed(_ text: String, _ pgbouncer: PgBouncerTestServer) -> Bool {
        text.contains("PgBouncer 127.0.0.1:\(pgbouncer.port): role aegis logged in")
    }

    static func rotations(_ lambda: PythonFake) async throws -> [[String: Any]] {
        try await lambda.control(.GET, "/_fake/rotations") as? [[String: Any]] ?? []
    }

    /// After one completed rotation: one rotation ran all four steps under the bot's version ID,
    /// which is AWSCURRENT, the old one AWSPREVIOUS, nothing pending; PostgreSQL takes only the new
    /// password. Returns the new password.
    @discardableResult
    static func expectRotated(_ scenario: Scenario, _ lambda: PythonFake, old: String, oldValue: String) async throws -> String {
        let rotations = try await rotations(lambda)
        #expect(rotations.count == 1, "one RotateSecret: \(rotations)")
        #expect(rotations.first?["steps"] as? [String] == ["createSecret", "setSecret", "testSecret", "finishSecret"])
        #expect(rotations.first?["result"] as? String == "succeeded")
        let current = try #require(try await scenario.version("postgres-password", .current))
        #expect(current == rotations.first?["token"] as? String, "AWSCURRENT is the version the bot asked for")
        #expect(current != old)
        #expect(try await scenario.version("postgres-password", .previous) == old)
        #expect(try await scenario.version("postgres-password", .pending) == nil)
        let newValue = try #require(try await scenario.value("postgres-password", current))
        #expect(await scenario.postgresAccepts(newValue), "SELECT 1 with the new password")
        #expect(!(await scenario.postgresAccepts(oldValue)), "the old password no longer logs in")
        #expect(await scenario.restartCount() == 1, "restarted once, after the rotation")
        return newValue
    }

    @Test("shell: followed from AWSPENDING to AWSCURRENT, restarted, SELECT 1 with the new password, through PgBouncer too; nothing leaks")
    func shell() async throws {
        try await Self.with { scenario, lambda, pgbouncer in
            let old = try #require(scenario.initialVersions["postgres-password"])
            let oldValue = try #require(try await scenario.value("postgres-password", old))
            let run = try await scenario.rotateInShell("postgres", environment: Self.environment(lambda, pgbouncer))
            #expect(run.stdout.contains("🎉 R-1 completed"), "\(run.stdout)\n\(run.stderr)")
            #expect(run.stdout.contains("followed from AWSPENDING"), "\(run.stdout)")
            #expect(Self.pgBouncerPassed(run.stdout, pgbouncer), "the runbook's 'verify PgBouncer': \(run.stdout)")
            try await Self.expectRotated(scenario, lambda, old: old, oldValue: oldValue)
            let leaks = try await scenario.leaks(outputs: [run.stdout, run.stderr, lambda.log])
            #expect(leaks.isEmpty, "secret values found in: \(leaks)")
        }
    }

    @Test("Slack: completed and verified with the new password, through PgBouncer too; nothing leaks")
    func slack() async throws {
        try await Self.with { scenario, lambda, pgbouncer in
            let old = try #require(scenario.initialVersions["postgres-password"])
            let oldValue = try #require(try await scenario.value("postgres-password", old))
            try await scenario.withSlackBot(Self.environment(lambda, pgbouncer)) { bot in
                let request = try await scenario.rotateInSlack(bot, "postgres quarterly")
                let thread = await bot.threadText(request)
                #expect(thread.contains("🎉 R-1 completed"), "\(thread)")
                #expect(thread.contains("Verification after rotation (R-1): passed"), "\(thread)")
                #expect(Self.pgBouncerPassed(thread, pgbouncer), "\(thread)")
                try await Self.expectRotated(scenario, lambda, old: old, oldValue: oldValue)
                let values = try await scenario.allSecretValues()
                let leaks = await bot.leaks(of: values) + (try await scenario.leaks(outputs: [lambda.log]))
                #expect(leaks.isEmpty, "secret values found in: \(leaks)")
            }
        }
    }

    /// PgBouncer that still holds the old password (an `auth_file` nobody updated): the rotation
    /// changed the role, the direct login works, the login through PgBouncer does not — the
    /// runbook's "rotation breaks connections". Verification fails and the rotation rolls back.
    @Test("manual strategy, PgBouncer with a stale auth_file: pgbouncer-login fails, rolled back, escalated with the runbook's action")
    func stalePgBouncer() async throws {
        try await Scenario.with { scenario in
            let old = try #require(scenario.initialVersions["postgres-password"])
            let oldValue = try #require(try await scenario.value("postgres-password", old))
            let pgbouncer = try await PgBouncerTestServer.start(in: scenario.world.postgres, staleLogins: ["aegis": oldValue])
            do {
                let run = try await scenario.rotateInShell("postgres", environment: ["AEGIS_PGBOUNCER_URL": pgbouncer.url])
                #expect(run.stdout.contains("✗ SELECT 1 through PgBouncer"), "\(run.stdout)")
                #expect(run.stdout.contains("↺ R-1 rolled back"), "\(run.stdout)")
                #expect(run.stdout.contains("verify PgBouncer"), "the escalation carries the runbook's action: \(run.stdout)")
                #expect(try await scenario.version("postgres-password", .current) == old)
                #expect(await scenario.postgresAccepts(oldValue), "rolled back: the old password logs in again")
                let leaks = try await scenario.leaks(outputs: [run.stdout, run.stderr, pgbouncer.log])
                #expect(leaks.isEmpty, "secret values found in: \(leaks)")
                await pgbouncer.stop()
            } catch {
                await pgbouncer.stop()
                throw error
            }
        }
    }
}
