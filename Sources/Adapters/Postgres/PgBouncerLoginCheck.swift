import AegisCore
import Foundation

/// `pgbouncer-login`: the runbook's "verify PgBouncer" after a database password change. A fresh
/// login through PgBouncer (`AEGIS_PGBOUNCER_URL`, where the application connects; its user and
/// password are not used) as the role, with the store's value of the version that should be live,
/// then `SELECT 1`. PgBouncer that still holds the old password (a stale `auth_file`) refuses it,
/// which is the failure the runbook warns about. Where `AEGIS_PGBOUNCER_URL` is not set there is no
/// PgBouncer to check: not applicable, not failed.
///
/// `SHOW POOLS` is not run: PgBouncer's admin console speaks only the simple query protocol and
/// needs an admin user; the login through it is what the application depends on.
public struct PgBouncerLoginCheck: CheckRunner {
    public let pgbouncer: PostgresURL?

    public init(pgbouncer: PostgresURL?) {
        self.pgbouncer = pgbouncer
    }

    public func run(_ check: CheckDefinition, context: CheckContext) async -> CheckResult {
        guard let pgbouncer else {
            return CheckResult(title: check.title, status: .notApplicable, detail: "AEGIS_PGBOUNCER_URL is not set: no PgBouncer to check")
        }
        let login = await PostgresLoginCheck(server: pgbouncer).run(check, context: context)
        return CheckResult(title: login.title, status: login.status, detail: "PgBouncer " + login.detail)
    }
}
