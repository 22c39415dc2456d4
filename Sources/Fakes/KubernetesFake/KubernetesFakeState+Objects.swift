import Foundation

/// Creating and reading objects directly: the seed data and the test controls.
extension KubernetesFakeState {
    func putConfigMap(namespace: String, name: String, data: [String: String]) {
        objects[Key(resource: "configmaps", namespace: namespace, name: name)] = [
            "apiVersion": "v1", "kind": "ConfigMap",
            "metadata": metadata(namespace: namespace, name: name), "data": data,
        ]
    }

    func putSecret(namespace: String, name: String, data: [String: String]) {
        objects[Key(resource: "secrets", namespace: namespace, name: name)] = [
            "apiVersion": "v1", "kind": "Secret", "type": "Opaque",
            "metadata": metadata(namespace: namespace, name: name),
            "data": data.mapValues { Data($0.utf8).base64EncodedString() },
        ]
    }

    func putDeployment(namespace: String, name: String, replicas: Int, labels: [String: String], paused: Bool) {
        var spec: [String: Any] = [
            "replicas": replicas,
            "selector": ["matchLabels": labels],
            "template": ["metadata": ["labels": labels],
                         "spec": ["containers": [["name": "app", "image": "registry.local/\(name):1"]]]],
            "strategy": ["type": "RollingUpdate", "rollingUpdate": ["maxSurge": "25%", "maxUnavailable": "25%"]],
            "progressDeadlineSeconds": 600, "revisionHistoryLimit": 10,
        ]
        if paused { spec["paused"] = true }
        var deployment: [String: Any] = [
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": metadata(namespace: namespace, name: name).merging(["generation": 1]) { $1 },
            "spec": spec, "status": [String: Any](),
        ]
        Self.complete(&deployment)
        objects[Key(resource: "deployments", namespace: namespace, name: name)] = deployment
    }

    func metadata(namespace: String, name: String) -> [String: Any] {
        ["name": name, "namespace": namespace, "uid": UUID().uuidString.lowercased(),
         "resourceVersion": nextResourceVersion(), "creationTimestamp": "2026-01-01T00:00:00Z"]
    }

    func configMapData(namespace: String, name: String) -> [String: String]? {
        objects[Key(resource: "configmaps", namespace: namespace, name: name)]?["data"] as? [String: String]
            ?? (objects[Key(resource: "configmaps", namespace: namespace, name: name)] == nil ? nil : [:])
    }

    func secretData(namespace: String, name: String) -> [String: String]? {
        guard let secret = objects[Key(resource: "secrets", namespace: namespace, name: name)] else { return nil }
        return ((secret["data"] as? [String: String]) ?? [:]).compactMapValues {
            Data(base64Encoded: $0).map { String(decoding: $0, as: UTF8.self) }
        }
    }

    func deploymentSummary(namespace: String, name: String) -> FakeDeploymentSummary? {
        advanceRollouts()
        guard let deployment = objects[Key(resource: "deployments", namespace: namespace, name: name)] else { return nil }
        return FakeDeploymentSummary(
            generation: deployment.int("metadata", "generation"),
            observedGeneration: deployment.int("status", "observedGeneration"),
            restartedAt: deployment[path: "spec", "template", "metadata", "annotations"].flatMap {
                ($0 as? [String: String])?["kubectl.kubernetes.io/restartedAt"]
            },
            rolloutFinished: Self.rolloutFinished(deployment) == true)
    }

    func setPaused(namespace: String, name: String, _ paused: Bool) {
        let key = Key(resource: "deployments", namespace: namespace, name: name)
        objects[key]?.set(paused ? true : nil, at: ["spec", "paused"])
    }

    func configure(rolloutDuration: Duration? = nil, stall: Bool? = nil, expectedToken: String?? = nil) {
        if let rolloutDuration { self.rolloutDuration = rolloutDuration }
        if let stall { stallRollouts = stall }
        if let expectedToken { self.expectedToken = expectedToken }
    }

    func failNext(_ count: Int, status: Int) {
        failuresLeft = count
        failureStatus = status
    }

    func setLogs(namespace: String, deployment: String, lines: [String]) {
        podLogs[Key(resource: "deployments", namespace: namespace, name: deployment)] = lines
    }

    func setPort(_ port: Int) { self.port = port }
}

/// What a test needs to know about a deployment in the fake.
public struct FakeDeploymentSummary: Sendable {
    public var generation: Int
    public var observedGeneration: Int
    /// `spec.template.metadata.annotations["kubectl.kubernetes.io/restartedAt"]`, if set.
    public var restartedAt: String?
    /// kubectl's `rollout status` rules hold.
    public var rolloutFinished: Bool
}
