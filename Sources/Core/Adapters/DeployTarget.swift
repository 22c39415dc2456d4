import Foundation

/// Where a secret is deployed: the config its consumers read (a configmap) and the deployment to
/// restart. Kubernetes in production, a local folder in the sandbox.
public protocol DeployTarget: Sendable {
    /// The current config: key → value. Values are secrets while they hold keys.
    func readConfig(_ location: DeployLocation) async throws -> [String: SecretValue]
    /// Sets and removes keys in one write (a merge patch). Idempotent.
    func patchConfig(_ location: DeployLocation, set: [String: SecretValue], remove: [String]) async throws
    /// `rollout restart`: new pods read the new config.
    func restart(_ location: DeployLocation) async throws
    /// Waits until the rollout has finished (kubectl's `rollout status` rules) or the timeout.
    func waitForRollout(_ location: DeployLocation, timeout: Duration) async throws
}

/// Config keys that carry a key's version ID (its JWT `kid`) beside it.
public enum ConfigKeyID {
    public static func key(for configKey: String) -> String { "\(configKey)_id" }
}
