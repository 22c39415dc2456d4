import AegisCore
import Foundation
import Logging
import PostgresNIO

/// `alter-role-password`: `ALTER ROLE "<role>" PASSWORD '<SCRAM-SHA-256 verifier>'` over the admin
/// connection (`DATABASE_URL`). The verifier is computed here from the store's value, so the
/// plaintext never reaches the server, its logs, `pg_stat_statements` or an audit extension.
///
/// A role has one password, so there is no overlap: sessions already logged in keep working, new
/// logins need the new value. Setting the same password again (with a new salt) changes nothing
/// for clients, so a re-run after a crash is harmless. Rollback sets a verifier of the old version.
public struct AlterRolePasswordStep: StepExecutor {
    public let admin: PostgresURL

    /// - Parameter admin: `DATABASE_URL`, a role allowed to `ALTER ROLE` the target role.
    public init(admin: PostgresURL) { self.admin = admin }

    public func run(_ context: StepContext) async throws -> String {
        let role = try Self.role(context)
        let version = try context.requireFact(FactKey.newVersion)
        try await setPassword(of: role, toVersion: version, context)
        return "role \(role) at \(admin.endpoint): password set to version \(version) (SCRAM-SHA-256 verifier)"
    }

    public func rollback(_ context: StepContext) async throws -> String? {
        guard context.facts[FactKey.newVersion] != nil else { return nil }
        let role = try Self.role(context)
        let version = try context.requireFact(FactKey.oldVersion)
        try await setPassword(of: role, toVersion: version, context)
        return "role \(role) at \(admin.endpoint): password set back to version \(version)"
    }

    static func role(_ context: StepContext) throws -> PostgresRoleName {
        guard let role = context.step.definition.text("role") else {
            throw StepError.misconfigured("step '\(context.step.name)' needs a role")
        }
        return try PostgresRoleName(role)
    }

    func setPassword(of role: PostgresRoleName, toVersion version: String, _ context: StepContext) async throws {
        guard let value = try await context.store.value(secret: context.definition.storage, versionID: version) else {
            throw StepError.storeInconsistent("version \(version) of \(context.definition.storage.name) is missing from the store")
        }
        let operation = "\(context.step.name) (ALTER ROLE \(role))"
        let verifier: String
        do {
            verifier = try SCRAMVerifier.make(password: value)
        } catch {
            throw PostgresSession.adapterError(error, url: admin, operation: operation)
        }
        try await PostgresSession.with(admin, operation: operation, credentials: "DATABASE_URL", logger: context.logger) { connection in
            _ = try await connection.query(PostgresQuery(unsafeSQL: "ALTER ROLE \(role.quoted) PASSWORD '\(verifier)'"), logger: context.logger)
        }
    }
}
