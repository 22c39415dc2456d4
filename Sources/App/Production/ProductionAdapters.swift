import AegisCore

/// `AEGIS_ENV=production`: the secret store and deploy target the Commands files name, built by
/// ``ProductionWiring`` from the environment. What could not be built is kept as a sentence naming
/// the setting, so a request is refused up front ("not ready: DATABASE_URL is not set …") and
/// nothing is ever run half-configured, or against a sandbox by accident.
struct ProductionAdapters: AdapterResolver {
    /// Stores by kind; a kind missing here has its reason in `storeProblems`.
    var stores: [StorageLocation.Kind: any SecretStore]
    var storeProblems: [StorageLocation.Kind: String]
    /// The Kubernetes target, or why there is none.
    var target: Result<any DeployTarget, ProductionWiring.Unavailable>
    /// Why a step or check kind has no executor or runner here (the engine lists kinds missing
    /// without a reason as "no executor in this build").
    var stepProblems: [StepKind: String]
    var checkProblems: [CheckDefinition.Kind: String]

    func secretStore(for definition: SecretDefinition) throws -> any SecretStore {
        if let store = stores[definition.storage.kind] { return store }
        throw AdapterError(system: definition.storage.kind.rawValue, operation: "connect",
                           message: storeProblems[definition.storage.kind] ?? "no adapter in this build", isTransient: false)
    }

    func deployTarget(for definition: SecretDefinition) throws -> (any DeployTarget)? {
        guard definition.deploy != nil else { return nil }
        switch target {
        case .success(let target): return target
        case .failure(let problem):
            throw AdapterError(system: "kubernetes", operation: "connect", message: problem.reason, isTransient: false)
        }
    }

    func missingRequirements(for definition: SecretDefinition, plan: RotationPlan) -> [String] {
        var missing: [String] = []
        if stores[definition.storage.kind] == nil {
            missing.append("storage \(definition.storage.displayName): " + (storeProblems[definition.storage.kind] ?? "no \(definition.storage.kind.rawValue) adapter in this build"))
        }
        if let location = definition.deploy, case .failure(let problem) = target {
            missing.append("deploy target \(location.namespace)/\(location.deployment): \(problem.reason)")
        }
        for step in plan.steps {
            if let problem = stepProblems[step.kind] {
                missing.append("step '\(step.name)' (\(step.kind.headline.lowercased())): \(problem)")
            }
        }
        for kind in Set(plan.checks.map(\.kind)).sorted(by: { $0.rawValue < $1.rawValue }) {
            if let problem = checkProblems[kind] {
                missing.append("check '\(kind.rawValue)': \(problem)")
            }
        }
        return missing
    }
}
