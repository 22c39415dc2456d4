import AegisAWS
import AegisCore
import Foundation

/// Secrets Manager as every secret's store, and a deployment with nothing to deploy: the IAM
/// rotation only restarts it (the app reads its key from Secrets Manager at start).
struct AWSTestAdapters: AdapterResolver {
    let store: SecretsManagerStore
    let target: RestartCountingTarget

    func secretStore(for definition: SecretDefinition) throws -> any SecretStore { store }
    func deployTarget(for definition: SecretDefinition) throws -> (any DeployTarget)? { definition.deploy == nil ? nil : target }
    func missingRequirements(for definition: SecretDefinition, plan: RotationPlan) -> [String] { [] }
}

/// A deploy target that counts restarts and holds no config.
actor RestartCountingTarget: DeployTarget {
    private(set) var restarts = 0
    func readConfig(_ location: DeployLocation) async throws -> [String: SecretValue] { [:] }
    func patchConfig(_ location: DeployLocation, set: [String: SecretValue], remove: [String]) async throws {}
    func restart(_ location: DeployLocation) async throws { restarts += 1 }
    func waitForRollout(_ location: DeployLocation, timeout: Duration) async throws {}
}

/// Keeps every event the engine publishes.
actor EventLog: RotationEventSink {
    private(set) var events: [RotationEvent] = []
    func publish(_ event: RotationEvent) async { events.append(event) }
}

/// A check that fails for every version but `healthy` (the new key "breaks" the app; the
/// restored old one works again, so the re-verification after a rollback passes).
struct FailsUnlessVersion: CheckRunner {
    let healthy: String
    let detail: String
    func run(_ check: CheckDefinition, context: CheckContext) async -> CheckResult {
        context.expectedCurrentVersion == healthy
            ? CheckResult(title: check.title, status: .passed, detail: "version \(healthy) is fine")
            : CheckResult(title: check.title, status: .failed, detail: detail)
    }
}
