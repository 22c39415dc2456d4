import Foundation

/// Test controls: what the tests set up, break and inspect.
extension KubernetesFake {
    /// A configmap's `data` as the server holds it now; nil if it does not exist.
    public func configMap(namespace: String = "aegis", name: String) async -> [String: String]? {
        await state.configMapData(namespace: namespace, name: name)
    }

    /// A secret's `data`, base64-decoded.
    public func secret(namespace: String = "aegis", name: String) async -> [String: String]? {
        await state.secretData(namespace: namespace, name: name)
    }

    public func deployment(namespace: String = "aegis", name: String) async -> FakeDeploymentSummary? {
        await state.deploymentSummary(namespace: namespace, name: name)
    }

    public func addConfigMap(namespace: String = "aegis", name: String, data: [String: String]) async {
        await state.putConfigMap(namespace: namespace, name: name, data: data)
    }

    /// A kubeconfig for a client of this fake that authenticates with `token` (namespace `aegis`).
    public func kubeconfig(token: String) -> String { Self.kubeconfig(server: serverURL, token: token) }

    /// A kubeconfig with one cluster at `server`, one token user and a current context in `aegis`.
    public static func kubeconfig(server: String, token: String) -> String {
        """
        apiVersion: v1
        kind: Config
        clusters:
        - name: fake
          cluster:
            server: \(server)
        users:
        - name: aegis-rotate
          user:
            token: \(token)
        contexts:
        - name: fake
          context:
            cluster: fake
            user: aegis-rotate
            namespace: aegis
        current-context: fake

        """
    }

    /// An Opaque Secret with `data` (stored base64-encoded, as the API server does).
    public func addSecret(namespace: String = "aegis", name: String, data: [String: String]) async {
        await state.putSecret(namespace: namespace, name: name, data: data)
    }

    public func addDeployment(namespace: String = "aegis", name: String, replicas: Int = 1, paused: Bool = false) async {
        await state.putDeployment(namespace: namespace, name: name, replicas: replicas, labels: ["app": name], paused: paused)
    }

    public func setPaused(namespace: String = "aegis", deployment: String, _ paused: Bool) async {
        await state.setPaused(namespace: namespace, name: deployment, paused)
    }

    /// How long the simulated controller takes to finish a rollout (half of it to observe it).
    public func setRolloutDuration(_ duration: Duration) async { await state.configure(rolloutDuration: duration) }

    /// Rollouts stop halfway and get a Progressing condition with reason ProgressDeadlineExceeded.
    public func stallRollouts(_ stall: Bool = true) async { await state.configure(stall: stall) }

    /// Requests without `Authorization: Bearer <token>` get 401; nil accepts anything.
    public func requireToken(_ token: String?) async { await state.configure(expectedToken: .some(token)) }

    /// The next `count` resource requests (not discovery) fail with `status`.
    public func failNext(_ count: Int, status: Int = 500) async { await state.failNext(count, status: status) }

    /// The lines every pod of `deployment` logs.
    public func setPodLogs(namespace: String = "aegis", deployment: String, lines: [String]) async {
        await state.setLogs(namespace: namespace, deployment: deployment, lines: lines)
    }

    /// Every request so far (whether a bearer token came, never the token).
    public var requests: [FakeKubeRequest] { get async { await state.requests } }
}
