import AegisCore
import Foundation
import Logging

/// `DeployTarget` on a Kubernetes cluster: config in a ConfigMap (or a Secret), `rollout restart`
/// and `rollout status` on the Deployment, with kubectl's own requests and rules.
public struct KubernetesDeployTarget: DeployTarget {
    /// Where the config lives. `DeployLocation.configMap` names the object either way.
    public enum ConfigKind: Sendable {
        case configMap
        case secret
    }

    let client: KubernetesClient
    let kind: ConfigKind
    let pollInterval: Duration

    /// `pollInterval`: how often `waitForRollout` reads the deployment (kubectl watches; a poll a
    /// second is as prompt for a rollout that takes tens of seconds, and simpler to make robust).
    public init(client: KubernetesClient, kind: ConfigKind = .configMap, pollInterval: Duration = .seconds(1)) {
        self.client = client
        self.kind = kind
        self.pollInterval = pollInterval
    }

    /// The location's own kind (a Commands file's `deploy.secret:`) wins over the target's default.
    func kind(_ location: DeployLocation) -> ConfigKind { location.holdsKeysInSecret ? .secret : kind }
    func resource(_ location: DeployLocation) -> String { kind(location) == .configMap ? "configmaps" : "secrets" }
    func kindName(_ location: DeployLocation) -> String { kind(location) == .configMap ? "configmap" : "secret" }

    func configPath(_ location: DeployLocation) -> String {
        "/api/v1/namespaces/\(location.namespace)/\(resource(location))/\(location.configMap)"
    }

    func deploymentPath(_ location: DeployLocation) -> String {
        "/apis/apps/v1/namespaces/\(location.namespace)/deployments/\(location.deployment)"
    }

    struct ConfigObject: Decodable { var data: [String: String]? }

    public func readConfig(_ location: DeployLocation) async throws -> [String: SecretValue] {
        let operation = "read \(kindName(location)) \(location.namespace)/\(location.configMap)"
        do {
            let object = try await client.get(ConfigObject.self, configPath(location))
            var values: [String: SecretValue] = [:]
            for (key, value) in object.data ?? [:] {
                if kind(location) == .configMap {
                    values[key] = SecretValue(utf8: value)
                } else {
                    guard let bytes = Data(base64Encoded: value) else {
                        throw AdapterError(system: "kubernetes", operation: operation, message: "key \(key) is not base64", isTransient: false)
                    }
                    values[key] = SecretValue(bytes: Array(bytes))
                }
            }
            return values
        } catch let error as KubernetesError {
            throw error.adapterError(operation)
        }
    }

    /// One merge patch: `{"data": {set…, removed: null}}`. Idempotent; a key set and removed at
    /// once is set. Any value the server echoes in an error is redacted.
    public func patchConfig(_ location: DeployLocation, set: [String: SecretValue], remove: [String]) async throws {
        guard !set.isEmpty || !remove.isEmpty else { return }
        let operation = "patch \(kindName(location)) \(location.namespace)/\(location.configMap)"
        var data: [String: Any] = [:]
        for key in remove { data[key] = NSNull() }
        for (key, value) in set {
            data[key] = kind(location) == .configMap ? value.revealSecretString() : Data(value.revealSecretBytes()).base64EncodedString()
        }
        let body: Data
        do {
            body = try JSONSerialization.data(withJSONObject: ["data": data], options: [.sortedKeys])
        } catch {
            throw AdapterError(system: "kubernetes", operation: operation, message: "cannot encode the patch", isTransient: false)
        }
        do {
            _ = try await client.send(.PATCH, configPath(location), query: [("fieldManager", "aegis-rotate")],
                                      contentType: "application/merge-patch+json", body: Array(body))
        } catch let error as KubernetesError {
            throw error.redacting(Array(set.values)).adapterError(operation)
        }
    }

    /// `kubectl rollout restart`: stamps the pod template with `kubectl.kubernetes.io/restartedAt`,
    /// which changes the template and so starts a rollout. Refuses a paused deployment, as kubectl
    /// does: the stamp would sit there unrolled and `waitForRollout` would never finish.
    public func restart(_ location: DeployLocation) async throws {
        let operation = "restart deployment \(location.namespace)/\(location.deployment)"
        do {
            let deployment = try await client.get(DeploymentObject.self, deploymentPath(location))
            if deployment.spec?.paused == true {
                throw KubernetesError(operation: operation, reason: "Paused",
                                      message: "deployment is paused; resume it (kubectl rollout resume) before restarting", isTransient: false)
            }
            let patch: [String: Any] = ["spec": ["template": ["metadata": ["annotations": [
                "kubectl.kubernetes.io/restartedAt": Timestamps.iso8601(Date()),
            ]]]]]
            let body = try JSONSerialization.data(withJSONObject: patch, options: [.sortedKeys])
            _ = try await client.send(.PATCH, deploymentPath(location), query: [("fieldManager", "aegis-rotate")],
                                      contentType: "application/strategic-merge-patch+json", body: Array(body))
        } catch let error as KubernetesError {
            throw error.adapterError(operation)
        }
    }

    /// Polls until kubectl's rules say done. ProgressDeadlineExceeded and the timeout are errors
    /// (not transient: the rollout itself is stuck). Transient read failures are retried until the
    /// deadline; the last one is reported if the deadline passes.
    public func waitForRollout(_ location: DeployLocation, timeout: Duration) async throws {
        let operation = "rollout status deployment \(location.namespace)/\(location.deployment)"
        let deadline = ContinuousClock.now + timeout
        var last = "no status read yet"
        while true {
            do {
                let deployment = try await client.get(DeploymentObject.self, deploymentPath(location))
                switch RolloutStatus.evaluate(deployment) {
                case .done: return
                case .failed(let message):
                    throw KubernetesError(operation: operation, reason: "ProgressDeadlineExceeded", message: message, isTransient: false)
                        .adapterError(operation)
                case .waiting(let message): last = message
                }
            } catch let error as KubernetesError where error.isTransient {
                last = error.description
            } catch let error as KubernetesError {
                throw error.adapterError(operation)
            }
            let remaining = deadline - ContinuousClock.now
            guard remaining > .zero else {
                throw KubernetesError(operation: operation, reason: "RolloutTimeout",
                                      message: "not finished after \(timeout): \(last)", isTransient: false).adapterError(operation)
            }
            try await Task.sleep(for: min(pollInterval, remaining))
        }
    }
}
