import AegisCore
import Foundation
import NIOSSL

/// `redis-login`: a fresh connection logs in with the store's value of the version that should be
/// live, then `PING` must answer `PONG`. The user is the ACL user of the secret's `redis-password`
/// steps (`mode: acl`), or `default` (`AUTH password`) in requirepass mode, unless `user` is given.
public struct RedisLoginCheck: CheckRunner {
    /// Where the clients' Redis listens; its credentials, if any, are not used.
    public let endpoint: RedisEndpoint
    public let user: String?
    public let tls: TLSConfiguration?

    public init(endpoint: RedisEndpoint, user: String? = nil, tls: TLSConfiguration? = nil) {
        self.endpoint = endpoint
        self.user = user
        self.tls = tls
    }

    public func run(_ check: CheckDefinition, context: CheckContext) async -> CheckResult {
        let version = context.expectedCurrentVersion
        let user = self.user ?? Self.aclUser(of: context.definition)
        let who = user.map { "ACL user \($0)" } ?? "the default user"
        let value: SecretValue
        do {
            guard let stored = try await context.store.value(secret: context.definition.storage, versionID: version) else {
                return CheckResult(title: check.title, status: .failed, detail: "version \(version) is missing from the store")
            }
            value = stored
        } catch {
            return CheckResult(title: check.title, status: .failed, detail: RotationEngine.safeDescription(error))
        }
        do {
            let reply = try await Self.loginAndPing(RedisURL(endpoint: endpoint, user: user, password: value), tls: tls)
            guard reply.text == "PONG" else {
                return CheckResult(title: check.title, status: .failed, detail: "\(endpoint): PING did not answer PONG")
            }
            return CheckResult(title: check.title, status: .passed, detail: "\(endpoint): \(who) logged in with version \(version), PING answered PONG")
        } catch {
            return CheckResult(title: check.title, status: .failed, detail: "\(endpoint): \(who) with version \(version): \(error.description)")
        }
    }

    static func loginAndPing(_ url: RedisURL, tls: TLSConfiguration?) async throws(RedisClientError) -> RESPValue {
        let connection = try await RedisConnection.connect(url, tls: tls)
        do {
            let reply = try await connection.run(RESPCommand("PING"))
            await connection.close()
            return reply
        } catch {
            await connection.close()
            throw error
        }
    }

    /// The `user` of the definition's `redis-password` steps in ACL mode; nil for requirepass.
    static func aclUser(of definition: SecretDefinition) -> String? {
        definition.steps.first { $0.kind == .redisPassword && ($0.text("mode") ?? "acl") == "acl" }?.text("user")
    }
}
