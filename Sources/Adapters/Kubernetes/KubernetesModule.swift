import AegisCore
import Foundation

/// Kubernetes: the deploy target (configmap or secret, rollout restart and status) and the `logs`
/// check over the deployment's pod logs. `KUBECONFIG` (its first file, current context) or the
/// pod's service account.
public enum KubernetesModule: AdapterModule {
    static let needs = "KUBECONFIG (or the in-cluster service account)"

    public static func declare(into catalog: inout TypeCatalog) {
        catalog.register(CheckType(name: .logs, parameters: ParameterSchema(allowed: ["pattern", "window"]), needs: needs,
                                   needsLiveService: true,
                                   validate: { parameters throws(ParameterProblem) in
                                       guard let window = parameters["window"] else { return }
                                       do { _ = try DurationText.parse(window) } catch { throw ParameterProblem(key: "window", "\(error)") }
                                   },
                                   title: { _ in "pod logs free of auth errors" }))
    }

    public static func wire(_ setup: AdapterSetup, into wiring: inout AdapterWiring) {
        do {
            let config = try KubeConfig.fromEnvironment(setup.values)
            let client = try KubernetesClient(config: config, timeout: setup.timeout, logger: setup.logger)
            wiring.closers.append { try? await client.shutdown() }
            wiring.deployTarget = .success(KubernetesDeployTarget(client: client))
            wiring.checks[.logs] = LogScanCheck(logs: KubernetesLogSource(logs: DeploymentLogs(client: client)))
        } catch {
            // KubeConfigError never quotes a credential; anything else is summarised safely.
            let detail = (error as? KubeConfigError)?.description ?? RotationEngine.safeDescription(error)
            let reason = "Kubernetes is not configured: \(detail) (set KUBECONFIG, or run in a pod with a service account)"
            wiring.deployTarget = .failure(AdapterSetupProblem(reason))
            wiring.unavailable(checks: [.logs], reason)
        }
    }
}

extension RegisteredName where Kind == CheckTypeKind {
    /// No `auth.*error|unauthorized|forbidden` in the deployment's pod logs over the window.
    public static let logs: Self = "logs"
}
