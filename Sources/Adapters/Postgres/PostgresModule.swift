import AegisCore
import Foundation

/// PostgreSQL: `alter-role-password` (a SCRAM-SHA-256 verifier set with `ALTER ROLE`) and the
/// `postgres-login` check, through `DATABASE_URL`, the admin connection; the `pgbouncer-login`
/// check through `AEGIS_PGBOUNCER_URL` when it is set.
public enum PostgresModule: AdapterModule {
    static let needs = "DATABASE_URL (the admin connection for ALTER ROLE, e.g. postgres://admin@db:5432/aegis)"

    public static func declare(into catalog: inout TypeCatalog) {
        catalog.register(StepType(name: .alterRolePassword, headline: "Change the database role's password",
                                  parameters: ParameterSchema(allowed: ["role"]), needs: needs))
        catalog.register(CheckType(name: .postgresLogin, parameters: ParameterSchema(allowed: ["role"]), needs: needs,
                                   title: { _ in "SELECT 1 with the stored password" }))
        catalog.register(CheckType(name: .pgBouncerLogin, parameters: ParameterSchema(allowed: ["role"]),
                                   needs: "AEGIS_PGBOUNCER_URL (where the application connects, e.g. postgres://pgbouncer:6432/aegis); without it the check is not applicable",
                                   title: { _ in "SELECT 1 through PgBouncer with the stored password" }))
    }

    public static func wire(_ setup: AdapterSetup, into wiring: inout AdapterWiring) {
        wirePgBouncer(setup, into: &wiring)
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

extension PostgresModule {
    static func wirePgBouncer(_ setup: AdapterSetup, into wiring: inout AdapterWiring) {
        guard let text = setup.string("AEGIS_PGBOUNCER_URL") else {
            wiring.checks[.pgBouncerLogin] = PgBouncerLoginCheck(pgbouncer: nil)
            return
        }
        // The check logs in as the secret's role, so the URL needs no user; the parser wants one.
        let authority = text.range(of: "://").map { text[$0.upperBound...].prefix { $0 != "/" && $0 != "?" } } ?? ""
        let parseable = authority.contains("@") ? text : text.replacingOccurrences(of: "://", with: "://aegis-rotate@")
        do {
            wiring.checks[.pgBouncerLogin] = PgBouncerLoginCheck(pgbouncer: try PostgresURL(parsing: parseable))
        } catch {
            guard case .invalid(let reason) = error else { return }
            wiring.unavailable(checks: [.pgBouncerLogin], "AEGIS_PGBOUNCER_URL is invalid: \(reason)")
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
    /// `SELECT 1` through PgBouncer with the stored password (not applicable without PgBouncer).
    public static let pgBouncerLogin: Self = "pgbouncer-login"
}
