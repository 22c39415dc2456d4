import AegisAPIFake
import AegisCore
import Foundation
import KubernetesFake

/// Makes the fakes behave like the service after each restart: a test says what the pods
/// started by restart N report, and a watcher applies it the moment restart N happens (before
/// the rollout finishes, so before any check looks).
extension Scenario {
    struct PodBehaviour: Sendable {
        /// aegis-api `/health` components → status (`ok` or anything else).
        var components: [String: String] = [:]
        /// The pods' log lines, when they change.
        var logLines: [String]?
    }

    /// Watches the deployment's restarts and applies `behaviour[n]` after the n-th one. Cancel
    /// the returned task when the test is done.
    func behaveAfterRestarts(_ behaviour: [Int: PodBehaviour]) -> Task<Void, Never> {
        Task {
            var applied = 0
            while !Task.isCancelled {
                let restarts = await restartCount()
                while applied < restarts {
                    applied += 1
                    guard let next = behaviour[applied] else { continue }
                    for (component, status) in next.components { await api.setComponent(component, status) }
                    if let lines = next.logLines { await kube.setPodLogs(deployment: Self.location.deployment, lines: lines) }
                }
                try? await Task.sleep(for: .milliseconds(10))
            }
        }
    }
}
