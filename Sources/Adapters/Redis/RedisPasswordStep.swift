import AegisCore
import Foundation
import NIOSSL

/// `redis-password`: gives a Redis user the new password and, later, takes the old one away.
///
/// - `mode: acl`: `phase: add` adds the new password to ACL `user` beside the old one (both work
///   while clients restart); `phase: remove-old` removes the old one once verification passed.
///   Passwords go as `#<sha256>` / `!<sha256>`, so the plaintext never reaches Redis.
/// - `mode: requirepass`: `CONFIG SET requirepass` (one password, no overlap; Redis has no hashed
///   form for it). `REDIS_URL` should log in as an ACL admin user other than `default`, or the
///   step's own later connections would need the new password.
/// - ElastiCache is not a mode here: its AUTH token changes through the AWS API, step kind
///   `elasticache-auth-token` (AWS module).
///
/// Values come from the secret store by the versions the `generate` step recorded. Every phase and
/// rollback checks the server's state first, so running it again does no harm.
public struct RedisPasswordStep: StepExecutor {
    public let admin: RedisURL
    public let tls: TLSConfiguration?

    /// - Parameters:
    ///   - admin: `REDIS_URL`, the connection allowed to run `ACL SETUSER` / `CONFIG SET`.
    ///   - tls: the client TLS configuration for `rediss://` (e.g. a private CA); system defaults when nil.
    public init(admin: RedisURL, tls: TLSConfiguration? = nil) {
        self.admin = admin
        self.tls = tls
    }

    enum Mode: String { case acl, requirepass }
    enum Phase: String { case add, removeOld = "remove-old" }

    struct Parameters {
        var mode: Mode
        var phase: Phase
        var user: String?

        init(_ context: StepContext) throws {
            let step = context.step.definition
            guard let mode = Mode(rawValue: step.text("mode") ?? "acl") else {
                throw StepError.misconfigured("step '\(step.name)': mode must be acl or requirepass (ElastiCache: step kind elasticache-auth-token)")
            }
            guard let phase = Phase(rawValue: step.text("phase") ?? "add") else {
                throw StepError.misconfigured("step '\(step.name)': phase must be add or remove-old")
            }
            let user = step.text("user")
            if mode == .acl {
                guard let user, !user.isEmpty, !user.contains(where: { $0.isWhitespace }) else {
                    throw StepError.misconfigured("step '\(step.name)': mode acl needs a user without spaces")
                }
            }
            self.mode = mode
            self.phase = phase
            self.user = user
        }
    }

    public func run(_ context: StepContext) async throws -> String {
        let parameters = try Parameters(context)
        switch (parameters.mode, parameters.phase) {
        case (.acl, .add):
            return try await addNewACLPassword(user: parameters.user ?? "", context)
        case (.acl, .removeOld):
            return try await removeOldACLPassword(user: parameters.user ?? "", context)
        case (.requirepass, .add):
            return try await setRequirepass(to: FactKey.newVersion, context)
        case (.requirepass, .removeOld):
            return "requirepass holds one password; the old one went when the new one was set"
        }
    }

    public func rollback(_ context: StepContext) async throws -> String? {
        let parameters = try Parameters(context)
        switch (parameters.mode, parameters.phase) {
        case (.acl, .add):
            return try await undoAddACLPassword(user: parameters.user ?? "", context)
        case (.acl, .removeOld):
            return try await undoRemoveOldACLPassword(user: parameters.user ?? "", context)
        case (.requirepass, .add):
            guard context.facts[FactKey.oldVersion] != nil else { return nil }
            return try await setRequirepass(to: FactKey.oldVersion, context)
        case (.requirepass, .removeOld):
            return nil
        }
    }

    /// The store's value of the version a fact names.
    func value(of fact: String, _ context: StepContext) async throws -> (version: String, value: SecretValue) {
        let version = try context.requireFact(fact)
        guard let value = try await context.store.value(secret: context.definition.storage, versionID: version) else {
            throw StepError.storeInconsistent("version \(version) of \(context.definition.storage.name) is missing from the store")
        }
        return (version, value)
    }

    /// Runs `body` on a fresh admin connection, closed afterwards; maps client errors to `AdapterError`.
    func withAdmin<T: Sendable>(_ operation: String, _ body: (RedisConnection) async throws(RedisClientError) -> T) async throws -> T {
        let connection: RedisConnection
        do {
            connection = try await RedisConnection.connect(admin, tls: tls)
        } catch {
            throw AdapterError(system: "redis \(admin.endpoint)", operation: "admin login as '\(admin.user ?? "default")' (REDIS_URL)",
                               message: error.description, isTransient: error.isTransient)
        }
        do {
            let result = try await body(connection)
            await connection.close()
            return result
        } catch {
            await connection.close()
            throw error.adapterError(operation: operation, endpoint: admin.endpoint)
        }
    }
}
