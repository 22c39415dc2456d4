import AegisCore
import AegisRedis
import AegisTestServers
import Foundation

/// One rotation strategy the production crash suite kills after every step: the secret, the
/// Commands edit that selects the strategy, and the step names in order (the suite checks them
/// against the loaded definition, so a step added to a Commands file without a crash case fails).
enum CrashStrategy: String, Sendable, CaseIterable, CustomStringConvertible {
    case jwtSingleRollout = "jwt-signing-key single-rollout"
    case jwtVerifyFirst = "jwt-signing-key verify-first"
    case postgresManual = "postgres-password manual"
    case postgresRDSManaged = "postgres-password rds-managed"
    case redisACL = "redis-auth-token acl"
    case redisRequirepass = "redis-auth-token requirepass"
    case redisElastiCache = "redis-auth-token elasticache"
    case iamTwoKeys = "aws-iam-access-keys two-keys"

    var description: String { rawValue }

    var secret: String {
        switch self {
        case .jwtSingleRollout, .jwtVerifyFirst: "jwt-signing-key"
        case .postgresManual, .postgresRDSManaged: "postgres-password"
        case .redisACL, .redisRequirepass, .redisElastiCache: "redis-auth-token"
        case .iamTwoKeys: "aws-iam-access-keys"
        }
    }

    var steps: [String] {
        switch self {
        case .jwtSingleRollout:
            ["generate", "deploy-config", "restart", "verify", "promote", "grace-cleanup"]
        case .jwtVerifyFirst:
            ["generate", "deploy-verify-only", "restart-verify-only", "deploy-signing", "restart-signing", "verify", "promote",
             "grace-cleanup"]
        case .postgresManual:
            ["generate", "alter-role-password", "promote", "restart", "verify"]
        case .postgresRDSManaged:
            ["rds-master-password", "restart", "verify"]
        case .redisACL:
            ["generate", "add-new-password", "promote", "restart", "verify", "remove-old-password"]
        case .redisRequirepass:
            ["generate", "set-password", "promote", "restart", "verify"]
        case .redisElastiCache:
            ["generate", "rotate-auth-token", "promote", "restart", "verify", "set-auth-token"]
        case .iamTwoKeys:
            ["create-access-key", "promote", "restart", "verify", "deactivate-old-key", "delete-old-key"]
        }
    }

    /// Commands file edits that select the strategy (the default needs none).
    var edit: CommandsEdits.Edit {
        switch self {
        case .jwtVerifyFirst: CommandsEdits.jwtVerifyFirst
        case .redisRequirepass: CommandsEdits.redisRequirepass
        case .redisElastiCache: CommandsEdits.redisElastiCache
        case .postgresRDSManaged: CommandsEdits.postgresRDSManaged
        default: [:]
        }
    }
}

/// requirepass rotates the password of Redis's `default` user, which is also the connection the
/// shared redis-server's admin helpers and `Scenario.seed` use (no password). So for a
/// requirepass case the scenario gets an ACL admin user of its own for `REDIS_URL` (as
/// `RedisPasswordStep` asks), the default user's password becomes the stored initial value, and
/// afterwards the default user goes back to no password so the next scenario can seed.
struct RequirepassSetup: Sendable {
    static let adminUser = "aegis-crash-admin"
    let endpoint: RedisEndpoint
    let adminPassword: String

    /// `REDIS_URL` for the bot: the ACL admin, not `default`.
    var environment: [String: String] {
        ["REDIS_URL": "redis://\(Self.adminUser):\(adminPassword)@\(endpoint.host):\(endpoint.port)"]
    }

    /// Creates the admin user and sets `requirepass` to the scenario's stored value.
    static func start(_ scenario: Scenario) async throws -> RequirepassSetup {
        let redis = scenario.world.redis
        let setup = RequirepassSetup(endpoint: redis.endpoint,
                                     adminPassword: "admin" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased())
        guard let initial = try await scenario.value("redis-auth-token", stage: .current) else {
            throw ServerError("redis-auth-token has no current version")
        }
        let connection = try await redis.adminConnection()
        do {
            _ = try await connection.run(RESPCommand("ACL", "SETUSER", adminUser, "reset", "on", ">" + setup.adminPassword,
                                                     "~*", "&*", "+@all"))
            _ = try await connection.run(RESPCommand([.text("CONFIG"), .text("SET"), .text("requirepass"), .secret(SecretValue(utf8: initial))]))
        } catch {
            await connection.close()
            throw error
        }
        await connection.close()
        return setup
    }

    /// The default user has no password again and the admin user is gone.
    func restore() async throws {
        let connection = try await RedisConnection.connect(RedisURL(endpoint: endpoint, user: Self.adminUser,
                                                                    password: SecretValue(utf8: adminPassword)))
        do {
            _ = try await connection.run(RESPCommand("ACL", "SETUSER", "default", "on", "nopass"))
            _ = try await connection.run(RESPCommand("ACL", "DELUSER", Self.adminUser))
        } catch {
            await connection.close()
            throw error
        }
        await connection.close()
    }

    /// `AUTH password` (the default user, as clients of a requirepass server log in) then `PING`.
    func defaultUserAccepts(_ password: String) async -> Bool {
        guard let connection = try? await RedisConnection.connect(RedisURL(endpoint: endpoint, password: SecretValue(utf8: password))) else {
            return false
        }
        let reply = try? await connection.run(RESPCommand("PING"))
        await connection.close()
        return reply == .simpleString("PONG")
    }
}
