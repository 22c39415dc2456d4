import Foundation

extension StepRegistry {
    /// The generic steps the core runs by itself, through the store and target protocols, over
    /// `catalog` (the core's types plus whatever the adapter modules declared).
    public static func builtIn(catalog: TypeCatalog, state: any StateStore, keyWait: Duration = .seconds(1_800)) -> StepRegistry {
        StepRegistry(catalog: catalog, executors: [
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
    /// The checks the core runs by itself. `sandbox` adds not-applicable runners for every
    /// registered check type that reads a live service (``CheckType/needsLiveService``).
    public static func builtIn(catalog: TypeCatalog, sandbox: Bool) -> CheckRegistry {
        var runners: [CheckTypeName: any CheckRunner] = [
            .deployedConfig: DeployedConfigCheck(),
            .jwtRoundtrip: JWTRoundtripCheck(),
            .storeReadback: StoreReadbackCheck(),
        ]
        if sandbox {
            for type in catalog.checks.values where type.needsLiveService { runners[type.name] = NoServiceInSandboxCheck() }
        }
        return CheckRegistry(runners: runners)
    }
}
