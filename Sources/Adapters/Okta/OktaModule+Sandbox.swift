import AegisCore

extension OktaModule {
    /// The sandbox's Okta: a handed-over token is accepted unless it is the one in use; the old
    /// token's self-revocation revokes it in the stand-in ledger. For a service app the stand-in
    /// mints the new key, the token request asks the ledger, and the old key is deleted after the
    /// grace period.
    public static func wireSandbox(_ sandbox: SandboxSetup, into wiring: inout AdapterWiring) {
        wiring.steps[.oktaTokenCheck] = sandbox.standIn("Okta", .checkNew)
        wiring.steps[.oktaTokenRevoke] = sandbox.standIn("Okta", .retireOld(.revoked))
        wiring.steps[.oktaAppKeyAdd] = sandbox.standIn("Okta", .mintNew)
        wiring.steps[.oktaAppKeyRetire] = sandbox.standIn("Okta", .retireOldAfterGrace(.deleted))
        wiring.checks[.oktaClientCredentials] = sandbox.credentialCheck("Okta")
    }
}
