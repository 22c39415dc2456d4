import Foundation
/// `restart`: `rollout restart` the deployment and wait until the rollout is complete. Restarting
/// twice is harmless, so a re-run after a crash just restarts again. Its rollback is the single
/// restart the engine does after every config key is restored.
public struct RestartStep: StepExecutor {
    public static let defaultTimeout: Duration = .seconds(600)

    public init() {}

    public func run(_ context: StepContext) async throws -> String {
        let (target, location) = try context.requireTarget()
        let timeout = try context.step.definition.text("timeout").map { try DurationText.parse($0) } ?? Self.defaultTimeout
        try await target.restart(location)
        try await target.waitForRollout(location, timeout: timeout)
        return "deployment/\(location.deployment) restarted, rollout complete"
    }

    public func rollback(_ context: StepContext) async throws -> String? { nil }
}
