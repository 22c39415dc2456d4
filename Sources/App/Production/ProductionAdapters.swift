import AegisAdapters
import AegisCore
import Logging

/// `AEGIS_ENV=production`: the secret stores and deploy target the adapter modules built from the
/// settings (``AdapterModules/wire(_:)``). What could not be built is kept as a sentence naming the
/// setting, so a request is refused up front ("not ready: DATABASE_URL is not set …") and nothing
/// is ever run half-configured, or against a sandbox by accident. Nothing connects here.
struct ProductionAdapters: AdapterResolver {
    var stores: [StoreTypeName: any SecretStore]
    var storeProblems: [StoreTypeName: String]
    var catalog: TypeCatalog
    var target: Result<any DeployTarget, AdapterSetupProblem>

    init(wiring: AdapterWiring, catalog: TypeCatalog) {
        stores = wiring.stores
        storeProblems = wiring.storeProblems
        target = wiring.deployTarget
        self.catalog = catalog
    }

    /// One HTTP call to a provider may take `AEGIS_PROVIDER_TIMEOUT` (default 30 s) before it
    /// counts as a (transient, retried) failure.
    static func providerTimeout(_ configuration: AegisConfiguration, logger: Logger) -> Duration {
        do {
            return try configuration.duration("AEGIS_PROVIDER_TIMEOUT", default: .seconds(30))
        } catch {
            logger.error("AEGIS_PROVIDER_TIMEOUT is not a duration; using 30s", metadata: ["error": "\(error)"])
            return .seconds(30)
        }
    }

    func secretStore(for definition: SecretDefinition) throws -> any SecretStore {
        if let store = stores[definition.storage.kind] { return store }
        throw AdapterError(system: definition.storage.kind.rawValue, operation: "connect",
                           message: storeProblem(definition.storage.kind), isTransient: false)
    }

    func deployTarget(for definition: SecretDefinition) throws -> (any DeployTarget)? {
        guard definition.deploy != nil else { return nil }
        switch target {
        case .success(let target): return target
        case .failure(let problem):
            throw AdapterError(system: "kubernetes", operation: "connect", message: problem.description, isTransient: false)
        }
    }

    func missingRequirements(for definition: SecretDefinition, plan: RotationPlan) -> [String] {
        var missing: [String] = []
        if stores[definition.storage.kind] == nil {
            missing.append("storage \(definition.storage.displayName): " + storeProblem(definition.storage.kind))
        }
        if let location = definition.deploy, case .failure(let problem) = target {
            missing.append("deploy target \(location.namespace)/\(location.deployment): \(problem.description)")
        }
        return missing
    }

    func storeProblem(_ kind: StoreTypeName) -> String {
        if let problem = storeProblems[kind] { return problem }
        guard let type = catalog.store(kind) else { return "this build does not know the storage kind '\(kind)'" }
        return "no store is wired for it here; it needs \(type.needs)"
    }
}
