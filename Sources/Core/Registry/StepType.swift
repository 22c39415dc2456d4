import Foundation

/// One step type's whole contract, declared by the module that runs it: the name a Commands file
/// uses, the parameters it takes and the rules they follow, how it reads in a plan, and what it
/// needs to run in production. The executor is provided separately (``StepRegistry``), because it is
/// built from the environment while the type is known before any configuration is read.
public struct StepType: Sendable {
    public var name: StepTypeName
    /// What a person reads in the plan and the checklist when no more specific title applies.
    public var headline: String
    public var parameters: ParameterSchema
    /// What a production run needs, by setting names: the sentence a "not ready" answer quotes.
    public var needs: String
    /// Load-time rules beyond the schema (a broken plan is a load error, never a half-run rotation).
    public var validate: @Sendable (StepDefinition, SecretDefinition) throws(ParameterProblem) -> Void
    /// The step's line in a plan.
    public var title: @Sendable (StepDefinition, PlanTitleContext) -> String
    /// Its effect cannot be undone (a revoked provider key): the loader refuses a strategy that
    /// runs it before a `verify` step.
    public var irreversible: Bool
    /// It acts after the grace period (a durable timer). A plan whose strategy has no such step
    /// shows no grace, so an approver is never told of a wait that will not happen.
    public var waitsOutGrace: Bool

    public init(name: StepTypeName, headline: String, parameters: ParameterSchema = ParameterSchema(), needs: String,
                irreversible: Bool = false, waitsOutGrace: Bool = false,
                validate: @escaping @Sendable (StepDefinition, SecretDefinition) throws(ParameterProblem) -> Void = { _, _ in },
                title: (@Sendable (StepDefinition, PlanTitleContext) -> String)? = nil) {
        self.name = name
        self.headline = headline
        self.parameters = parameters
        self.needs = needs
        self.validate = validate
        self.title = title ?? { _, _ in headline }
        self.irreversible = irreversible
        self.waitsOutGrace = waitsOutGrace
    }
}

/// The parameter keys a step or check type accepts beside `kind` (and a step's `name`).
public struct ParameterSchema: Sendable {
    public var allowed: Set<String>
    public var required: Set<String>

    public init(allowed: Set<String> = [], required: Set<String> = []) {
        self.allowed = allowed.union(required)
        self.required = required
    }
}

/// A parameter that breaks a type's rule: the key (relative to the step or check) and why.
public struct ParameterProblem: Error, Sendable {
    public var key: String
    public var problem: String

    public init(key: String, _ problem: String) {
        self.key = key
        self.problem = problem
    }
}

/// What a step's title may mention besides the step itself.
public struct PlanTitleContext: Sendable {
    public var definition: SecretDefinition
    /// "local store aegis/jwt-signing-key" or "aws-secrets-manager aegis/jwt-signing-key".
    public var storeName: String
    /// The grace period as written ("24h"), or nil where there is none.
    public var graceText: String?
    public var leaked: Bool

    public init(definition: SecretDefinition, storeName: String, graceText: String?, leaked: Bool) {
        self.definition = definition
        self.storeName = storeName
        self.graceText = graceText
        self.leaked = leaked
    }
}
