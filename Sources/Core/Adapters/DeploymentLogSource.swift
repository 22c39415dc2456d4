import Foundation

/// Where the log scan reads the deployment's recent pod logs (Kubernetes `pods/log` in production).
public protocol DeploymentLogSource: Sendable {
    /// Log lines of the deployment's pods written within `window`.
    func recentLines(_ location: DeployLocation, window: Duration) async throws -> [String]
}
