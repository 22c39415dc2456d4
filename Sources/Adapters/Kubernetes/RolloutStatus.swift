import Foundation

/// kubectl's `rollout status` verdict for a Deployment (kubectl
/// `pkg/polymorphichelpers/rollout_status.go`), so "done" means what an operator's kubectl says.
public enum RolloutStatus: Sendable, Equatable {
    case done
    case waiting(String)
    /// The Progressing condition says `ProgressDeadlineExceeded`: waiting longer will not help.
    case failed(String)

    public static func evaluate(_ deployment: DeploymentObject) -> RolloutStatus {
        let name = deployment.metadata.name ?? "deployment"
        let status = deployment.status
        guard (deployment.metadata.generation ?? 0) <= (status?.observedGeneration ?? 0) else {
            return .waiting("waiting for deployment \"\(name)\" spec update to be observed")
        }
        if let progressing = status?.conditions?.first(where: { $0.type == "Progressing" }),
           progressing.reason == "ProgressDeadlineExceeded" {
            return .failed("deployment \"\(name)\" exceeded its progress deadline")
        }
        let wanted = deployment.spec?.replicas ?? 1
        let updated = status?.updatedReplicas ?? 0
        if updated < wanted {
            return .waiting("\(updated) out of \(wanted) new replicas have been updated")
        }
        let total = status?.replicas ?? 0
        if total > updated {
            return .waiting("\(total - updated) old replicas are pending termination")
        }
        let available = status?.availableReplicas ?? 0
        if available < updated {
            return .waiting("\(available) of \(updated) updated replicas are available")
        }
        return .done
    }
}
