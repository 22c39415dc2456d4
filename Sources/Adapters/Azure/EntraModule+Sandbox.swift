import AegisCore

extension EntraModule {
    /// The sandbox's Entra ID: `addPassword` mints a stand-in secret (stored in the sandbox's
    /// store in place of Key Vault), the token request checks it, and the old one is removed after
    /// the grace period.
    public static func wireSandbox(_ sandbox: SandboxSetup, into wiring: inout AdapterWiring) {
        wiring.steps[.entraClientSecret] = sandbox.standIn("Entra ID", phases: [
            "add": .mintNew, "remove-old": .retireOldAfterGrace(.deleted),
        ])
        wiring.checks[.clientCredentials] = sandbox.credentialCheck("Entra ID")
    }
}
