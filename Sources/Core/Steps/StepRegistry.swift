import Foundation

/// The step types this build knows (``TypeCatalog``) and the executors this process has for
/// them. Why a step cannot run here is derived from the two: a registered type with no executor
/// is "not ready", with the reason its module recorded or, failing that, what the type needs.
public struct StepRegistry: Sendable {
    public var catalog: TypeCatalog
    public var executors: [StepTypeName: any StepExecutor]
    /// Why a registered type has no executor here, as its module's wiring put it.
    public var problems: [StepTypeName: String]

    public init(catalog: TypeCatalog, executors: [StepTypeName: any StepExecutor], problems: [StepTypeName: String] = [:]) {
        self.catalog = catalog
        self.executors = executors
        self.problems = problems
    }

    public func executor(for kind: StepTypeName) -> (any StepExecutor)? { executors[kind] }

    /// Why `step` cannot run in this process, or nil when it can.
    public func problem(for step: StepDefinition) -> String? {
        guard executors[step.kind] == nil else { return nil }
        if let problem = problems[step.kind] { return problem }
        guard let type = catalog.step(step.kind) else { return "this build does not know the step kind '\(step.kind)'" }
        return "no executor is wired for it here; it needs \(type.needs)"
    }
}
