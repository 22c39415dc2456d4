import AegisCore

/// The log scan's `DeploymentLogSource` over Kubernetes `pods/log`: every line of every pod of
/// the deployment within the window, prefixed with the pod's name.
public struct KubernetesLogSource: DeploymentLogSource {
    let logs: DeploymentLogs

    public init(logs: DeploymentLogs) { self.logs = logs }

    public func recentLines(_ location: DeployLocation, window: Duration) async throws -> [String] {
        let text = try await logs.text(namespace: location.namespace, deployment: location.deployment, window: window)
        return text.split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
    }
}
