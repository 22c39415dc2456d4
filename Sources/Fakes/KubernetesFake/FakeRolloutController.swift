import Foundation

/// The simulated deployment controller. After a template change a rollout goes through two
/// phases: at half of `rolloutDuration` the new generation is observed with one updated pod and an
/// old one still terminating; at `rolloutDuration` every replica is updated and available. A
/// stalled rollout stops after the first phase and gets kubectl's `ProgressDeadlineExceeded`.
extension KubernetesFakeState {
    func advanceRollouts() {
        let now = ContinuousClock.now
        for (key, rollout) in rollouts {
            guard var deployment = objects[key] else { rollouts[key] = nil; continue }
            let elapsed = now - rollout.startedAt
            let replicas = deployment.int("spec", "replicas")
            let generation = deployment.int("metadata", "generation")
            var phase = rollout.phase
            if phase < 1 && elapsed >= rolloutDuration / 2 {
                phase = 1
                deployment.set(generation, at: ["status", "observedGeneration"])
                deployment.set(min(1, replicas), at: ["status", "updatedReplicas"])
                deployment.set(replicas + 1, at: ["status", "replicas"])
                deployment.set(replicas, at: ["status", "readyReplicas"])
                deployment.set(replicas, at: ["status", "availableReplicas"])
                deployment.set(Self.conditions(progressing: "True", reason: "ReplicaSetUpdated"), at: ["status", "conditions"])
            }
            if phase == 1 && elapsed >= rolloutDuration {
                phase = 2
                if stallRollouts {
                    deployment.set(Self.conditions(progressing: "False", reason: "ProgressDeadlineExceeded"), at: ["status", "conditions"])
                } else {
                    Self.complete(&deployment)
                }
            }
            if phase != rollout.phase {
                deployment.set(nextResourceVersion(), at: ["metadata", "resourceVersion"])
                objects[key] = deployment
                rollouts[key] = phase == 2 ? nil : Rollout(startedAt: rollout.startedAt, phase: phase)
            }
        }
    }

    /// Every replica on the current template, as a finished rollout leaves it.
    static func complete(_ deployment: inout [String: Any]) {
        let replicas = deployment.int("spec", "replicas")
        deployment.set(deployment.int("metadata", "generation"), at: ["status", "observedGeneration"])
        for field in ["replicas", "updatedReplicas", "readyReplicas", "availableReplicas"] {
            deployment.set(replicas, at: ["status", field])
        }
        deployment.set(conditions(progressing: "True", reason: "NewReplicaSetAvailable"), at: ["status", "conditions"])
    }

    static func conditions(progressing: String, reason: String) -> [[String: Any]] {
        let now = ISO8601DateFormatter().string(from: Date())
        return [
            ["type": "Available", "status": "True", "reason": "MinimumReplicasAvailable",
             "message": "Deployment has minimum availability.", "lastUpdateTime": now, "lastTransitionTime": now],
            ["type": "Progressing", "status": progressing, "reason": reason,
             "message": reason == "ProgressDeadlineExceeded" ? "ReplicaSet has timed out progressing." : "ReplicaSet is progressing.",
             "lastUpdateTime": now, "lastTransitionTime": now],
        ]
    }

    /// kubectl's `rollout status` verdict on the fake's own object: nil while in progress.
    static func rolloutFinished(_ deployment: [String: Any]) -> Bool? {
        guard deployment.int("metadata", "generation") <= deployment.int("status", "observedGeneration") else { return nil }
        let conditions = (deployment[path: "status", "conditions"] as? [[String: Any]]) ?? []
        if conditions.contains(where: { $0["type"] as? String == "Progressing" && $0["reason"] as? String == "ProgressDeadlineExceeded" }) {
            return false
        }
        let updated = deployment.int("status", "updatedReplicas")
        guard updated >= deployment.int("spec", "replicas"), deployment.int("status", "replicas") <= updated,
              deployment.int("status", "availableReplicas") >= updated else { return nil }
        return true
    }

    /// The watch stream's view of one deployment: its resource version, JSON, and whether the
    /// rollout has ended (finished or failed), after letting the controller advance.
    func watchSnapshot(namespace: String, name: String) -> (resourceVersion: String, object: Data, ended: Bool)? {
        advanceRollouts()
        guard let deployment = objects[Key(resource: "deployments", namespace: namespace, name: name)] else { return nil }
        return (deployment[path: "metadata", "resourceVersion"] as? String ?? "", deployment.jsonData(),
                Self.rolloutFinished(deployment) != nil)
    }
}
