import Logging

extension RotationEngine {
    /// Restarts the deployment and waits for its rollout, under the retry policy: what the
    /// rollback's restart after restore and the grace clean-up's two restarts do (the `restart`
    /// step itself is ``RestartStep``, retried as a step).
    func restartAndWait(_ target: any DeployTarget, _ location: DeployLocation, what: String, logger: Logger) async throws {
        try await retry.run(what, logger: logger) {
            try await target.restart(location)
            try await target.waitForRollout(location, timeout: RestartStep.defaultTimeout)
        }
    }
}
