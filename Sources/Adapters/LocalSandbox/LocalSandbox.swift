import AegisCore
import Foundation

/// `AEGIS_ENV=local`: every secret's store and deploy target is the embedded, file-backed one under
/// one folder, and the providers are stand-ins (``SandboxCredentials``, wired by each adapter
/// module's `wireSandbox`). A step type with no stand-in is refused with the exact configuration it
/// needs: the step registry derives that from the step types that have no sandbox executor.
public struct LocalSandbox: AdapterResolver {
    public let root: URL
    public let store: LocalSecretStore
    public let target: LocalDeployTarget
    /// The stand-in providers' ledger of which credentials they accept.
    public let credentials: SandboxCredentials

    public init(root: URL, restartCommand: String?) {
        self.root = root
        self.store = LocalSecretStore(root: root.appendingPathComponent("secrets", isDirectory: true))
        self.target = LocalDeployTarget(root: root.appendingPathComponent("deploy", isDirectory: true), restartCommand: restartCommand)
        self.credentials = SandboxCredentials(folder: root.appendingPathComponent("providers", isDirectory: true))
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

    /// Gives every secret the sandbox can rotate (every step is `runnable` here) an initial version,
    /// deployed, so a fresh machine has something to rotate: in the `generate` step's format, or,
    /// for a key a provider makes (no `generate` step), a stand-in key. Every current version is
    /// known to the stand-in providers as active. Returns the IDs it seeded.
    public func seed(_ inventory: Inventory, runnable: Set<StepTypeName>) async throws -> [String] {
        AtomicFile.removeLeftovers(under: root)
        var seeded: [String] = []
        for definition in inventory.definitions where definition.steps.allSatisfy({ runnable.contains($0.kind) }) {
            if let current = try await store.version(secret: definition.storage, stage: .current) {
                try await credentials.register(secret: definition.storage, version: current.versionID, system: "seed")
                continue
            }
            let value: SecretValue
            if let generate = definition.steps.first(where: { $0.kind == .generate }) {
                value = try SecretGenerator.generate(try SecretGenerator.format(of: generate))
            } else {
                value = SecretValue(utf8: "sbx-initial-" + (try SecretGenerator.generate(.alphanumeric(length: 40)).revealSecretString()))
            }
            let versionID = SecretGenerator.versionID()
            try await store.putPending(secret: definition.storage, versionID: versionID, value: value)
            try await store.makeCurrent(secret: definition.storage, versionID: versionID)
            try await credentials.register(secret: definition.storage, version: versionID, system: "seed")
            if let location = definition.deploy,
               let deploy = definition.steps.last(where: { $0.kind == .deployConfig }) {
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
