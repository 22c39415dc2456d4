import Foundation

extension StepRegistry {
    /// The step kinds the core runs by itself, through the store and target protocols.
    public static func builtIn(state: any StateStore, keyWait: Duration = .seconds(1_800)) -> StepRegistry {
        StepRegistry(executors: [
            .awaitProvidedKey: AwaitProvidedKeyStep(timeout: keyWait),
            .generate: GenerateStep(),
            .deployConfig: DeployConfigStep(),
            .restart: RestartStep(),
            .verify: VerifyStep(),
            .promote: PromoteStep(),
            .notify: NotifyStep(),
            .graceCleanup: GraceCleanupStep(
                scheduleTimer: { try await state.scheduleTimer($0) },
                cancelTimer: { try await state.finishTimer(id: $0, status: .cancelled, note: "rolled back") }),
        ])
    }
}

extension CheckRegistry {
    /// The checks the core runs by itself. `sandbox` adds not-applicable runners for the checks
    /// that need a live aegis-api.
    public static func builtIn(sandbox: Bool) -> CheckRegistry {
        var runners: [CheckDefinition.Kind: any CheckRunner] = [
            .deployedConfig: DeployedConfigCheck(),
            .jwtRoundtrip: JWTRoundtripCheck(),
            .storeReadback: StoreReadbackCheck(),
        ]
        if sandbox {
            for kind in [CheckDefinition.Kind.health, .logs, .smoke] { runners[kind] = NoServiceInSandboxCheck() }
        }
        return CheckRegistry(runners: runners)
    }
}
