import AegisCore
import Foundation

/// `AEGIS_ENV=local`: every secret's store and deploy target is the embedded, file-backed one under
/// one folder. Secrets whose steps need a real system (a database, a provider's API) are refused
/// with the exact configuration they need: the step registry derives that from the step types
/// that have no sandbox executor.
public struct LocalSandbox: AdapterResolver {
    public let root: URL
    public let store: LocalSecretStore
    public let target: LocalDeployTarget

    public init(root: URL, restartCommand: String?) {
        self.root = root
        self.store = LocalSecretStore(root: root.appendingPathComponent("secrets", isDirectory: true))
        self.target = LocalDeployTarget(root: root.appendingPathComponent("deploy", isDirectory: true), restartCommand: restartCommand)
    }

    public func secretStore(for definition: SecretDefinition) throws -> any SecretStore { store }

    public func deployTarget(for definition: SecretDefinition) throws -> (any DeployTarget)? {
        definition.deploy == nil ? nil : target
    }

    /// The sandbox's store and target are always there; what steps lack is the step registry's to say.
    public func missingRequirements(for definition: SecretDefinition, plan: RotationPlan) -> [String] { [] }

    /// `registry` as the sandbox runs it: every registered step type without an executor here is
    /// refused with what it needs in production.
    public static func steps(_ registry: StepRegistry) -> StepRegistry {
        var registry = registry
        for type in registry.catalog.steps.values where registry.executors[type.name] == nil {
            registry.problems[type.name] = "cannot run in the local sandbox; it needs AEGIS_ENV=production with \(type.needs)"
        }
        return registry
    }

    /// Gives every secret the sandbox can rotate (the bot generates it, every step is `runnable`
    /// here) an initial version, deployed, so a fresh machine has something to rotate. Returns the
    /// IDs it seeded.
    public func seed(_ inventory: Inventory, runnable: Set<StepTypeName>) async throws -> [String] {
        AtomicFile.removeLeftovers(under: root)
        var seeded: [String] = []
        for definition in inventory.definitions {
            guard let generate = definition.steps.first(where: { $0.kind == .generate }),
                  definition.steps.allSatisfy({ runnable.contains($0.kind) }),
                  try await store.version(secret: definition.storage, stage: .current) == nil else { continue }
            let versionID = SecretGenerator.versionID()
            try await store.putPending(secret: definition.storage, versionID: versionID,
                                       value: try SecretGenerator.generate(try SecretGenerator.format(of: generate)))
            try await store.makeCurrent(secret: definition.storage, versionID: versionID)
            if let location = definition.deploy,
               let deploy = definition.steps.last(where: { $0.kind == .deployConfig }),
               let value = try await store.value(secret: definition.storage, versionID: versionID) {
                var set: [String: SecretValue] = [:]
                for (key, source) in deploy.map("set") where source == "new" {
                    set[key] = value
                    set[ConfigKeyID.key(for: key)] = SecretValue(utf8: versionID)
                }
                try await target.patchConfig(location, set: set, remove: [])
            }
            seeded.append(definition.id)
        }
        return seeded
    }
}
