import AegisCore

extension AnthropicModule {
    /// The sandbox's Anthropic: the new key is checked, the old one set inactive and archived
    /// after the grace period (left alone if set active again meanwhile).
    public static func wireSandbox(_ sandbox: SandboxSetup, into wiring: inout AdapterWiring) {
        wiring.steps[.anthropicKeyCheck] = sandbox.standIn("Anthropic", .checkNew)
        wiring.steps[.anthropicKeyRetire] = sandbox.standIn("Anthropic", .retireOldAfterGrace(.archived, meanwhile: .inactive))
    }
}
