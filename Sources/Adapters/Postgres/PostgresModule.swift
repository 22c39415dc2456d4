import AegisCore
import Foundation

/// PostgreSQL: `alter-role-password` (a SCRAM-SHA-256 verifier set with `ALTER ROLE`) and the
/// `postgres-login` check, through `DATABASE_URL`, the admin connection.
public enum PostgresModule: AdapterModule {
    static let needs = "DATABASE_URL (the admin connection for ALTER ROLE, e.g. postgres://admin@db:5432/aegis)"

    public static func declare(into catalog: inout TypeCatalog) {
        catalog.register(StepType(name: .alterRolePassword, headline: "Change the database role's password",
                                  parameters: ParameterSchema(allowed: ["role"]), needs: needs))
        catalog.register(CheckType(name: .postgresLogin, parameters: ParameterSchema(allowed: ["role"]), needs: needs,
                                   title: { _ in "SELECT 1 with the stored password" }))
    }

    public static func wire(_ setup: AdapterSetup, into wiring: inout AdapterWiring) {
        guard let text = setup.string("DATABASE_URL") else {
            wiring.unavailable(steps: [.alterRolePassword], checks: [.postgresLogin], "DATABASE_URL is not set (the admin connection for ALTER ROLE, e.g. postgres://admin@db:5432/aegis)")
            return
        }
        do {
            let url = try PostgresURL(parsing: text)
            wiring.steps[.alterRolePassword] = AlterRolePasswordStep(admin: url)
            wiring.checks[.postgresLogin] = PostgresLoginCheck(server: url)
        } catch {
            wiring.unavailable(steps: [.alterRolePassword], checks: [.postgresLogin], error.description)
        }
    }
}

extension RegisteredName where Kind == StepTypeKind {
    /// `ALTER ROLE … PASSWORD` with a SCRAM-SHA-256 verifier.
    public static let alterRolePassword: Self = "alter-role-password"
}

extension RegisteredName where Kind == CheckTypeKind {
    /// `SELECT 1` with the stored password.
    public static let postgresLogin: Self = "postgres-login"
}
