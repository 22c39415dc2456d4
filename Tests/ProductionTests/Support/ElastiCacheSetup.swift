import AegisCore
import AegisRedis
import AegisTestServers
import Foundation
import NIOHTTP1

/// Strategy `elasticache` of redis-auth-token: the ElastiCache fake owns replication group
/// `aegis-redis`, whose AUTH token is the shared redis-server's `default` user password (as
/// ElastiCache's token is). The fake logs in as an ACL admin user of its own (the requirepass
/// set-up's, which also gives the bot its `REDIS_URL`); it trusts the bot's AWS key (the scenario's
/// moto admin key, registered with it) and turns a change around in 0.3 s. `stop()` puts the
/// default user back to no password for the next scenario.
struct ElastiCacheSetup: Sendable {
    static let group = "aegis-redis"  // the Commands file's replication group
    let redis: RequirepassSetup
    let fake: PythonFake

    /// The bot's settings: the fake as ElastiCache's endpoint, a quick poll, and the grace
    /// period before SET (`0s`: SET runs as the last step; otherwise a durable timer).
    func environment(grace: String = "0s") -> [String: String] {
        redis.environment.merging([
            "AWS_ENDPOINT_URL_ELASTICACHE": fake.url, "AEGIS_ELASTICACHE_POLL": "100ms", "AEGIS_REDIS_GRACE": grace,
        ]) { $1 }
    }

    static func start(_ scenario: Scenario) async throws -> ElastiCacheSetup {
        let redis = try await RequirepassSetup.start(scenario)
        do {
            let fake = try await PythonFake.start("elasticache", arguments: [
                "--redis-port", "\(redis.endpoint.port)", "--redis-admin-user", RequirepassSetup.adminUser,
                "--redis-admin-password", redis.adminPassword, "--modify-seconds", "0.3",
            ])
            do {
                let bot = scenario.environment()
                _ = try await fake.control(.POST, "/_fake/credentials", [
                    "access_key_id": bot["AWS_ACCESS_KEY_ID"] ?? "", "secret_access_key": bot["AWS_SECRET_ACCESS_KEY"] ?? "",
                ])
                guard let initial = try await scenario.value("redis-auth-token", stage: .current) else {
                    throw ServerError("redis-auth-token has no current version")
                }
                _ = try await fake.control(.POST, "/_fake/replication-groups", ["id": group, "token": initial])
                return ElastiCacheSetup(redis: redis, fake: fake)
            } catch {
                await fake.stop()
                throw error
            }
        } catch {
            try? await redis.restore()
            throw error
        }
    }

    func stop() async throws {
        await fake.stop()
        try await redis.restore()
    }

    /// The token changes the group received, oldest first (`ROTATE`, `SET`).
    func modifications() async throws -> [String] {
        let group = try await fake.control(.GET, "/_fake/replication-groups/\(Self.group)") as? [String: Any] ?? [:]
        return (group["modifications"] as? [[String: Any]] ?? []).compactMap { $0["strategy"] as? String }
    }

    /// Every token the group accepts now (test only: the fake's control API shows them).
    func tokens() async throws -> [String] {
        let group = try await fake.control(.GET, "/_fake/replication-groups/\(Self.group)") as? [String: Any] ?? [:]
        return group["tokens"] as? [String] ?? []
    }
}
