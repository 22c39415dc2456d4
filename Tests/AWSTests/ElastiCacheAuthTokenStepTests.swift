import AegisAWS
import AegisCore
import AegisRedis
import AegisTestServers
import Foundation
import Logging
import NIOHTTP1
import Synchronization
import Testing

/// `elasticache-auth-token` of Commands/redis-auth-token.yaml (strategy elasticache) at the
/// ElastiCache fake, which drives a real redis-server: ROTATE leaves both tokens working, SET
/// (at once, or scheduled after the grace period) leaves only the new one, a rollback goes back to
/// the old token alone, and a re-run after a crash sends nothing twice. The tokens come from a
/// real `SecretsManagerStore` at moto.
@Suite("ElastiCache AUTH token: ROTATE, SET, rollback at the fake with a real Redis", .timeLimit(.minutes(3)))
struct ElastiCacheAuthTokenStepTests {
    static let group = "aegis-redis"  // the Commands file's replication group

    final class World: Sendable {
        let redis: RedisTestServer
        let fake: PythonFake
        let harness: StepHarness
        let groups: ElastiCacheReplicationGroups
        let scheduled = Mutex<[TimerRecord]>([])
        let cancelled = Mutex<[String]>([])
        let oldToken = "old-token-" + UUID().uuidString.replacingOccurrences(of: "-", with: "")
        let newToken = "new-token-" + UUID().uuidString.replacingOccurrences(of: "-", with: "")

        init(moto: MotoServer, redis: RedisTestServer, fake: PythonFake, grace: Duration?) async throws {
            self.redis = redis
            self.fake = fake
            let keys = try await fake.control(.POST, "/_fake/credentials", [:]) as? [String: Any] ?? [:]
            let credentials = AWSCredentials(accessKeyID: keys["access_key_id"] as? String ?? "",
                                             secretAccessKey: SecretValue(utf8: keys["secret_access_key"] as? String ?? ""))
            let configuration = try AWSConfiguration(environment: ["AWS_ENDPOINT_URL_ELASTICACHE": fake.url, "AWS_REGION": "us-east-1"], timeout: .seconds(10))
            groups = ElastiCacheReplicationGroups(client: AWSClient(configuration: configuration, credentialProvider: StaticCredentialProvider(credentials),
                                                                    logger: Logger(label: "test.elasticache")))
            harness = try StepHarness(secret: "redis-auth-token", strategy: "elasticache", store: SecretsManagerStore(client: try moto.client()), grace: grace)
            let storage = harness.definition.storage
            let oldVersion = SecretGenerator.versionID(), newVersion = SecretGenerator.versionID()
            try await harness.store.createSecret(name: storage.name, versionID: oldVersion, value: SecretValue(utf8: oldToken))
            try await harness.store.putPending(secret: storage, versionID: newVersion, value: SecretValue(utf8: newToken))
            harness.facts = [FactKey.oldVersion: oldVersion, FactKey.newVersion: newVersion]
            _ = try await fake.control(.POST, "/_fake/replication-groups", ["id": ElastiCacheAuthTokenStepTests.group, "token": oldToken])
        }

        var step: ElastiCacheAuthTokenStep {
            ElastiCacheAuthTokenStep(groups: groups, pollInterval: .milliseconds(100),
                                     scheduleSet: { [self] timer in self.scheduled.withLock { $0.append(timer) } },
                                     cancelSet: { [self] id in self.cancelled.withLock { $0.append(id) } })
        }

        /// Whether redis's `default` user (the group's AUTH) accepts `token`.
        func accepts(_ token: String) async -> Bool {
            do {
                let connection = try await RedisConnection.connect(RedisURL(endpoint: redis.endpoint, user: nil, password: SecretValue(utf8: token)))
                await connection.close()
                return true
            } catch {
                return false
            }
        }

        func modifications() async throws -> [String] {
            let group = try await fake.control(.GET, "/_fake/replication-groups/\(ElastiCacheAuthTokenStepTests.group)") as? [String: Any] ?? [:]
            return (group["modifications"] as? [[String: Any]] ?? []).compactMap { $0["strategy"] as? String }
        }
    }

    static func with(grace: Duration? = nil, _ body: @Sendable (World) async throws -> Void) async throws {
        try await MotoServer.withMoto { moto in
            let redis = try await RedisTestServer.start()
            do {
                let admin = try await redis.adminConnection()
                let password = "admin-" + UUID().uuidString
                _ = try await admin.run(RESPCommand("ACL", "SETUSER", "ec-admin", "on", ">" + password, "~*", "&*", "+@all"))
                await admin.close()
                let fake = try await PythonFake.start("elasticache", arguments: [
                    "--redis-port", "\(redis.port)", "--redis-admin-user", "ec-admin", "--redis-admin-password", password, "--modify-seconds", "0.3"])
                do {
                    try await body(try await World(moto: moto, redis: redis, fake: fake, grace: grace))
                    await fake.stop()
                } catch {
                    await fake.stop()
                    throw error
                }
                await redis.stop()
            } catch {
                await redis.stop()
                throw error
            }
        }
    }

    @Test("rotate: both tokens work; re-run sends nothing; set at once (no grace): only the new token works")
    func rotateThenSet() async throws {
        try await Self.with(grace: .zero) { world in
            let harness = world.harness, step = world.step
            #expect(await world.accepts(world.oldToken))
            #expect(!(await world.accepts(world.newToken)))
            _ = try await step.run(harness.context(try harness.step("rotate-auth-token")))
            #expect(await world.accepts(world.oldToken), "the old token keeps working during the switch")
            #expect(await world.accepts(world.newToken))
            _ = try await step.run(harness.context(try harness.step("rotate-auth-token")))
            #expect(try await world.modifications() == ["ROTATE"], "a re-run after a crash does not rotate again")

            let summary = try await step.run(harness.context(try harness.step("set-auth-token")))
            #expect(summary.contains("SET to the new token now"), "\(summary)")
            #expect(await world.accepts(world.newToken))
            #expect(!(await world.accepts(world.oldToken)))
            #expect(!world.fake.log.contains(world.newToken) && !world.fake.log.contains(world.oldToken))
        }
    }

    @Test("rollback of rotate: the old token alone again; set with a grace period is a scheduled timer, cancelled by its rollback")
    func rollbackAndScheduledSet() async throws {
        try await Self.with(grace: .seconds(3_600)) { world in
            let harness = world.harness, step = world.step
            _ = try await step.run(harness.context(try harness.step("rotate-auth-token")))
            let scheduledNote = try await step.run(harness.context(try harness.step("set-auth-token")))
            #expect(scheduledNote.contains("stays valid for 1h"), "\(scheduledNote)")
            let timer = try #require(world.scheduled.withLock { $0.first })
            #expect(timer.payload["action"] == ElastiCacheSetAction.name && timer.payload["replication_group"] == Self.group)
            #expect(!timer.payload.values.contains(world.newToken), "the timer's payload holds no token")
            #expect(await world.accepts(world.oldToken), "nothing dropped before the grace period")

            _ = try await step.rollback(harness.context(try harness.step("set-auth-token")))
            #expect(world.cancelled.withLock { $0 } == [timer.id])
            let undone = try await step.rollback(harness.context(try harness.step("rotate-auth-token")))
            #expect(undone?.contains("back to the old token") == true, "\(undone ?? "nil")")
            #expect(await world.accepts(world.oldToken))
            #expect(!(await world.accepts(world.newToken)))
            #expect(try await world.modifications() == ["ROTATE", "ROTATE", "SET"])
        }
    }

    @Test("the deferred SET after the grace period: only while the version is AWSCURRENT; a second firing is harmless")
    func deferredSet() async throws {
        try await Self.with(grace: .seconds(3_600)) { world in
            let harness = world.harness
            _ = try await world.step.run(harness.context(try harness.step("rotate-auth-token")))
            _ = try await world.step.run(harness.context(try harness.step("set-auth-token")))
            let timer = try #require(world.scheduled.withLock { $0.first })
            let action = ElastiCacheSetAction(groups: world.groups, store: harness.store, pollInterval: .milliseconds(100))
            let early = try await action.perform(payload: timer.payload)
            #expect(early.contains("no longer AWSCURRENT"), "not promoted yet: \(early)")
            #expect(await world.accepts(world.oldToken))

            try await harness.store.makeCurrent(secret: harness.definition.storage, versionID: try #require(harness.facts[FactKey.newVersion]))
            let done = try await action.perform(payload: timer.payload)
            #expect(done.contains("after the grace period"), "\(done)")
            #expect(await world.accepts(world.newToken))
            #expect(!(await world.accepts(world.oldToken)))
            let again = try await action.perform(payload: timer.payload)
            #expect(again.contains("already holds only the new token"), "\(again)")
        }
    }
}
