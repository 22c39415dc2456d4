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
/// for clients, so a re-run after a crash is harmless. Rollback sets a verifier of the old version,
/// but only if an `ALTER ROLE` may have reached the server: the fact ``alteredFact(_:)`` is written
/// once the admin login succeeded and before the statement is sent. A run that could not log in
/// changed nothing, so its rollback has nothing to undo (and does not fail on the same refused login).
public struct AlterRolePasswordStep: StepExecutor {
    public let admin: PostgresURL

    /// - Parameter admin: `DATABASE_URL`, a role allowed to `ALTER ROLE` the target role.
    public init(admin: PostgresURL) { self.admin = admin }

    public func run(_ context: StepContext) async throws -> String {
        let role = try Self.role(context)
        let version = try context.requireFact(FactKey.newVersion)
        try await setPassword(of: role, toVersion: version, context, recordingFact: true)
        return "role \(role) at \(admin.endpoint): password set to version \(version) (SCRAM-SHA-256 verifier)"
    }

    /// Written after the admin login and before `ALTER ROLE` (the statement may have run).
    public static func alteredFact(_ step: String) -> String { "postgres.\(step).altered" }

    public func rollback(_ context: StepContext) async throws -> String? {
        guard context.facts[FactKey.newVersion] != nil, context.facts[Self.alteredFact(context.step.name)] != nil else { return nil }
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

    func setPassword(of role: PostgresRoleName, toVersion version: String, _ context: StepContext, recordingFact: Bool = false) async throws {
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
            if recordingFact, context.facts[Self.alteredFact(context.step.name)] == nil {
                _ = try await context.recordFacts([Self.alteredFact(context.step.name): version])
            }
            _ = try await connection.query(PostgresQuery(unsafeSQL: "ALTER ROLE \(role.quoted) PASSWORD '\(verifier)'"), logger: context.logger)
        }
    }
}
