import AegisCore
import Foundation

/// The service-account files a pod gets. Injectable so tests can point at a temp folder.
public struct InClusterPaths: Sendable {
    public var token: String
    public var certificateAuthority: String
    public var namespace: String

    public init(directory: String = "/var/run/secrets/kubernetes.io/serviceaccount") {
        token = directory + "/token"
        certificateAuthority = directory + "/ca.crt"
        namespace = directory + "/namespace"
    }
}

extension KubeConfig {
    /// `$KUBECONFIG` (its first file) when set; otherwise the in-cluster service account, as
    /// client-go's in-cluster config builds it.
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment,
                                       inCluster paths: InClusterPaths = InClusterPaths()) throws -> KubeConfig {
        if let list = environment["KUBECONFIG"], let first = list.split(separator: ":").first {
            return try load(path: String(first))
        }
        return try inCluster(environment, paths: paths)
    }

    /// `https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT`, the CA from `ca.crt`, the
    /// token file (re-read when rotated) and the pod's namespace.
    public static func inCluster(_ environment: [String: String], paths: InClusterPaths = InClusterPaths()) throws -> KubeConfig {
        guard let host = environment["KUBERNETES_SERVICE_HOST"], !host.isEmpty,
              let port = environment["KUBERNETES_SERVICE_PORT"], !port.isEmpty else {
            throw KubeConfigError("KUBECONFIG is unset and this is not a pod (KUBERNETES_SERVICE_HOST/PORT are unset)")
        }
        let hostPart = host.contains(":") ? "[\(host)]" : host
        guard let server = URL(string: "https://\(hostPart):\(port)") else { throw KubeConfigError("invalid KUBERNETES_SERVICE_HOST/PORT") }
        guard FileManager.default.isReadableFile(atPath: paths.token) else {
            throw KubeConfigError("cannot read the service-account token at \(paths.token)")
        }
        guard let ca = BoundedFile.contents(paths.certificateAuthority) else {
            throw KubeConfigError("cannot read the service-account CA at \(paths.certificateAuthority)")
        }
        let namespace = BoundedFile.contents(paths.namespace).map {
            String(decoding: $0, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        }
        return KubeConfig(server: server, namespace: namespace, tls: KubeTLS(certificateAuthorityPEM: Array(ca)),
                          credential: .tokenFile(paths.token))
    }
}
