import AegisCore
import Foundation
import Logging
import PostgresNIO

/// `postgres-login`: a fresh connection logs in as the role with the store's value of the version
/// that should be live, and `SELECT 1` must return 1. The role is the check's `role` parameter,
/// else the secret's `alter-role-password` step's `role` (in any of its strategies).
public struct PostgresLoginCheck: CheckRunner {
    /// The server and database the application uses; its user and password are not used.
    public let server: PostgresURL
    public let role: String?

    public init(server: PostgresURL, role: String? = nil) {
        self.server = server
        self.role = role
    }

    public func run(_ check: CheckDefinition, context: CheckContext) async -> CheckResult {
        let version = context.expectedCurrentVersion
        guard let role = role ?? check.parameters["role"] ?? Self.role(of: context.definition) else {
            return CheckResult(title: check.title, status: .failed,
                               detail: "no role: give the check a role, or the secret an alter-role-password step")
        }
        do {
            guard let value = try await context.store.value(secret: context.definition.storage, versionID: version) else {
                return CheckResult(title: check.title, status: .failed, detail: "version \(version) is missing from the store")
            }
            let url = server.with(user: role, password: value)
            let one = try await PostgresSession.with(url, operation: "SELECT 1", logger: context.logger) { connection in
                var result: Int?
                for try await (number) in try await connection.query("SELECT 1", logger: context.logger).decode(Int.self) {
                    result = number
                }
                return result
            }
            guard one == 1 else {
                return CheckResult(title: check.title, status: .failed, detail: "\(url.endpoint): SELECT 1 as \(role) did not return 1")
            }
            return CheckResult(title: check.title, status: .passed, detail: "\(url.endpoint): role \(role) logged in with version \(version), SELECT 1 returned 1")
        } catch {
            return CheckResult(title: check.title, status: .failed, detail: "role \(role) with version \(version): \(RotationEngine.safeDescription(error))")
        }
    }

    /// The role of an `alter-role-password` step: the chosen strategy's, else another strategy's
    /// (with `aws-managed` the rotation Lambda changes that same role's password).
    static func role(of definition: SecretDefinition) -> String? {
        let steps = definition.steps + definition.strategies.keys.sorted().flatMap { definition.strategies[$0] ?? [] }
        return steps.first { $0.kind == .alterRolePassword }?.text("role")
    }
}
