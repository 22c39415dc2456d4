import AegisCore

extension OpenAIModule {
    /// The sandbox's OpenAI: a user key is checked and the old one deleted after the grace period;
    /// a service-account key is minted by the stand-in and the old one deleted after the grace period.
    public static func wireSandbox(_ sandbox: SandboxSetup, into wiring: inout AdapterWiring) {
        wiring.steps[.openAIKeyCheck] = sandbox.standIn("OpenAI", .checkNew)
        wiring.steps[.openAIKeyDelete] = sandbox.standIn("OpenAI", .retireOldAfterGrace(.deleted))
        wiring.steps[.openAIServiceAccountKey] = sandbox.standIn("OpenAI", phases: [
            "mint": .mintNew, "delete-old": .retireOldAfterGrace(.deleted),
        ])
        wiring.checks[.openAIModels] = sandbox.credentialCheck("OpenAI")
    }
}
