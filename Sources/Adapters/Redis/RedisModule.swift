import AegisCore
import Foundation

/// Redis: `redis-password` (an ACL user's second password, or `requirepass`) and the
/// `redis-login` check, through `REDIS_URL`, the admin connection.
public enum RedisModule: AdapterModule {
    static let needs = "REDIS_URL (the admin connection for ACL SETUSER / CONFIG SET requirepass)"

    public static func declare(into catalog: inout TypeCatalog) {
        catalog.register(StepType(name: .redisPassword, headline: "Add the new Redis password",
                                  parameters: ParameterSchema(allowed: ["user", "mode", "phase"]), needs: needs,
                                  validate: { step, _ throws(ParameterProblem) in
                                      guard step.text("mode") != "elasticache" else {
                                          throw ParameterProblem(key: "mode", "ElastiCache changes its AUTH token through the AWS API: use kind elasticache-auth-token (replication_group, phase rotate or set)")
                                      }
                                      try ParameterRules.oneOf(step, "mode", ["acl", "requirepass"])
                                      try ParameterRules.oneOf(step, "phase", ["add", "remove-old"])
                                  }))
        catalog.register(CheckType(name: .redisLogin, needs: needs, title: { _ in "Redis AUTH + PING with the stored password" }))
    }

    public static func wire(_ setup: AdapterSetup, into wiring: inout AdapterWiring) {
        guard let text = setup.string("REDIS_URL") else {
            wiring.unavailable(steps: [.redisPassword], checks: [.redisLogin], "REDIS_URL is not set (the admin connection for ACL SETUSER, e.g. rediss://admin@cache:6379)")
            return
        }
        do {
            let url = try RedisURL(parsing: text)
            wiring.steps[.redisPassword] = RedisPasswordStep(admin: url)
            wiring.checks[.redisLogin] = RedisLoginCheck(endpoint: url.endpoint)
        } catch {
            wiring.unavailable(steps: [.redisPassword], checks: [.redisLogin], error.description)
        }
    }
}

extension RegisteredName where Kind == StepTypeKind {
    /// Redis ACL second password (or requirepass).
    public static let redisPassword: Self = "redis-password"
}

extension RegisteredName where Kind == CheckTypeKind {
    /// AUTH and PING with the stored password.
    public static let redisLogin: Self = "redis-login"
}
