import AegisCore

extension PostgresModule {
    /// The sandbox's PostgreSQL: `ALTER ROLE` makes the stand-in accept the new password instead of
    /// the old one; the login check asks the stand-in.
    public static func wireSandbox(_ sandbox: SandboxSetup, into wiring: inout AdapterWiring) {
        wiring.steps[.alterRolePassword] = sandbox.standIn("PostgreSQL", .applyNew(replacesOld: true))
        wiring.checks[.postgresLogin] = sandbox.credentialCheck("PostgreSQL")
        wiring.checks[.pgBouncerLogin] = PgBouncerLoginCheck(pgbouncer: nil)
    }
}
