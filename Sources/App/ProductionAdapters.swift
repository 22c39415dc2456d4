import AegisCore

/// `AEGIS_ENV=production`: the stores and targets the Commands files name. This build carries no
/// cloud adapter yet, so every production plan is refused up front with what it needs; nothing is
/// ever run against a sandbox by accident.
struct ProductionAdapters: AdapterResolver {
    func secretStore(for definition: SecretDefinition) throws -> any SecretStore {
        throw AdapterError(system: definition.storage.kind.rawValue, operation: "connect",
                           message: "no \(definition.storage.kind.rawValue) adapter in this build", isTransient: false)
    }

    func deployTarget(for definition: SecretDefinition) throws -> (any DeployTarget)? {
        guard definition.deploy != nil else { return nil }
        throw AdapterError(system: "kubernetes", operation: "connect", message: "no Kubernetes adapter in this build", isTransient: false)
    }

    func missingRequirements(for definition: SecretDefinition, plan: RotationPlan) -> [String] {
        var missing = ["storage \(definition.storage.displayName): this build has no \(definition.storage.kind.rawValue) adapter; use AEGIS_ENV=local for the sandbox"]
        if definition.deploy != nil {
            missing.append("deploy target \(definition.deploy!.namespace)/\(definition.deploy!.deployment): this build has no Kubernetes adapter")
        }
        return missing
    }
}
