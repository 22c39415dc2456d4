import AegisCore

extension OktaModule {
    /// The sandbox's Okta: a handed-over token is accepted unless it is the one in use; the old
    /// token's self-revocation revokes it in the stand-in ledger.
    public static func wireSandbox(_ sandbox: SandboxSetup, into wiring: inout AdapterWiring) {
        wiring.steps[.oktaTokenCheck] = sandbox.standIn("Okta", .checkNew)
        wiring.steps[.oktaTokenRevoke] = sandbox.standIn("Okta", .retireOld(.revoked))
    }
}
