import AegisCore
import Foundation

/// The logs of a deployment's pods over a recent window, for checking that the new credential
/// works: pods come from the deployment's `spec.selector.matchLabels`, logs from `pods/{p}/log`
/// with `sinceSeconds` and `timestamps`. The text is the application's; this type never logs it.
public struct DeploymentLogs: Sendable {
    public struct PodLog: Sendable {
        public var pod: String
        public var text: String
    }

    let client: KubernetesClient

    public init(client: KubernetesClient) { self.client = client }

    struct PodList: Decodable {
        struct Pod: Decodable {
            struct Metadata: Decodable { var name: String }
            var metadata: Metadata
        }
        var items: [Pod]
    }

    /// Every pod's log lines of the last `window` (rounded up to whole seconds, at least one).
    public func fetch(namespace: String, deployment: String, window: Duration) async throws -> [PodLog] {
        let operation = "logs of deployment \(namespace)/\(deployment)"
        do {
            let object = try await client.get(DeploymentObject.self, "/apis/apps/v1/namespaces/\(namespace)/deployments/\(deployment)")
            let labels = object.spec?.selector?.matchLabels ?? [:]
            guard !labels.isEmpty else {
                throw AdapterError(system: "kubernetes", operation: operation, message: "the deployment has no matchLabels selector", isTransient: false)
            }
            let selector = labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
            let pods = try await client.get(PodList.self, "/api/v1/namespaces/\(namespace)/pods", query: [("labelSelector", selector)])
            let seconds = max(1, window.components.seconds + (window.components.attoseconds > 0 ? 1 : 0))
            var logs: [PodLog] = []
            for pod in pods.items {
                let body = try await client.send(.GET, "/api/v1/namespaces/\(namespace)/pods/\(pod.metadata.name)/log",
                                                 query: [("sinceSeconds", String(seconds)), ("timestamps", "true")])
                logs.append(PodLog(pod: pod.metadata.name, text: String(decoding: body, as: UTF8.self)))
            }
            return logs
        } catch let error as KubernetesError {
            throw error.adapterError(operation)
        }
    }

    /// All pods' logs as one text, each line prefixed with its pod's name.
    public func text(namespace: String, deployment: String, window: Duration) async throws -> String {
        try await fetch(namespace: namespace, deployment: deployment, window: window).flatMap { log in
            log.text.split(separator: "\n", omittingEmptySubsequences: true).map { "\(log.pod) \($0)" }
        }.joined(separator: "\n")
    }
}

/// Finds the log lines that look like authentication failures: `auth…error`, `unauthorized`,
/// `forbidden`, in any case. What a rotation checks after a restart to catch a bad credential.
public enum AuthFailureScanner {
    public static func matchingLines(in text: String) -> [String] {
        text.split(whereSeparator: \.isNewline).map(String.init).filter(matches)
    }

    public static func matches(_ line: String) -> Bool {
        let lower = line.lowercased()
        if lower.contains("unauthorized") || lower.contains("forbidden") { return true }
        guard let auth = lower.range(of: "auth") else { return false }
        return lower[auth.upperBound...].contains("error")
    }
}
