import Foundation
/// Turns a secret's definition into the plan a rotation will run, with titles a person can read.
/// Each title comes from the step's registered type.
public struct PlanBuilder: Sendable {
    public let environment: AegisEnvironment
    public let settings: RotationSettings
    public let catalog: TypeCatalog

    public init(environment: AegisEnvironment, settings: RotationSettings, catalog: TypeCatalog) {
        self.environment = environment
        self.settings = settings
        self.catalog = catalog
    }

    public func plan(for definition: SecretDefinition, leaked: Bool) -> RotationPlan {
        let context = PlanTitleContext(
            definition: definition,
            storeName: environment == .local ? "local store \(definition.storage.name)" : definition.storage.displayName,
            graceText: settings.grace(for: definition).map(DurationText.format),
            leaked: leaked)
        let steps = definition.steps.enumerated().map { index, step in
            PlannedStep(index: index, definition: step, title: catalog.step(step.kind)?.title(step, context) ?? step.kind.rawValue)
        }
        var grace = settings.grace(for: definition)
        if !definition.steps.contains(where: { catalog.step($0.kind)?.waitsOutGrace == true }) { grace = nil }
        if leaked, grace != nil { grace = .zero }
        return RotationPlan(secretID: definition.id, strategy: definition.strategy, environment: environment.rawValue,
                            steps: steps, checks: definition.checks, grace: grace, leaked: leaked,
                            storage: definition.storage, deploy: definition.deploy)
    }
}
