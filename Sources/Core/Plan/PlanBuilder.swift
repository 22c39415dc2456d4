import Foundation
/// Turns a secret's definition into the plan a rotation will run, with titles a person can read.
public struct PlanBuilder: Sendable {
    public let environment: AegisEnvironment
    public let settings: RotationSettings

    public init(environment: AegisEnvironment, settings: RotationSettings) {
        self.environment = environment
        self.settings = settings
    }

    public func plan(for definition: SecretDefinition, leaked: Bool) -> RotationPlan {
        let steps = definition.steps.enumerated().map { index, step in
            PlannedStep(index: index, definition: step, title: title(of: step, in: definition, leaked: leaked))
        }
        var grace = settings.grace(for: definition)
        if leaked, grace != nil { grace = .zero }
        return RotationPlan(secretID: definition.id, strategy: definition.strategy, environment: environment.rawValue,
                            steps: steps, checks: definition.checks, grace: grace, leaked: leaked,
                            storage: definition.storage, deploy: definition.deploy)
    }

    func title(of step: StepDefinition, in definition: SecretDefinition, leaked: Bool) -> String {
        let store = environment == .local ? "local store \(definition.storage.name)" : definition.storage.displayName
        let deploy = definition.deploy
        switch step.kind {
        case .generate:
            return "Generate a new \(materialName(step)) and stage it as pending in \(store)"
        case .deployConfig:
            let set = step.map("set").sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
            let removed = step.list("remove").map { "-\($0)" }
            return "Patch \(deploy?.objectDescription ?? "?"): \((set + removed).joined(separator: ", "))"
        case .restart:
            return "Rollout restart deployment/\(deploy?.deployment ?? "?") in \(deploy?.namespace ?? "?") and wait"
        case .verify:
            return "Verify: \(definition.checks.map(\.title).joined(separator: "; "))"
        case .promote:
            return "Promote the new version to current in \(store) (old becomes previous)"
        case .graceCleanup:
            let grace = settings.grace(for: definition).map(DurationText.format) ?? "?"
            let wait = leaked ? "at once (leak response: no grace)" : "after \(grace)"
            return "Remove \(step.list("remove").joined(separator: ", ")) \(wait), restart"
        case .notify:
            return "Post: \(step.text("text") ?? "")"
        default:
            return step.kind.headline
        }
    }

    func materialName(_ step: StepDefinition) -> String {
        switch step.text("format") {
        case "jwt-hs256": "HS256 key (64 random bytes)"
        case "jwt-rs256": "RS256 key pair (RSA-2048)"
        case "random-base64": "\(step.text("bytes") ?? "64")-byte random secret"
        case "alphanumeric": "\(step.text("length") ?? "32")-character password"
        default: "value"
        }
    }
}
