import AegisAdapters
import AegisCore
import Foundation

/// The tests load Commands files against the catalog the app uses: every adapter module's types.
extension InventoryLoader {
    public static func load(directory: URL) throws(InventoryLoadError) -> Inventory {
        try load(directory: directory, catalog: AdapterModules.catalog)
    }

    public static func parse(_ text: String, file: String) throws(InventoryError) -> SecretDefinition {
        try parse(text, file: file, catalog: AdapterModules.catalog)
    }
}

extension PlanBuilder {
    public init(environment: AegisEnvironment, settings: RotationSettings) {
        self.init(environment: environment, settings: settings, catalog: AdapterModules.catalog)
    }
}

extension StepRegistry {
    public static func builtIn(state: any StateStore, keyWait: Duration = .seconds(1_800)) -> StepRegistry {
        builtIn(catalog: AdapterModules.catalog, state: state, keyWait: keyWait)
    }
}

extension CheckRegistry {
    public static func builtIn(sandbox: Bool) -> CheckRegistry {
        builtIn(catalog: AdapterModules.catalog, sandbox: sandbox)
    }
}
