import AegisCore
import Foundation
import Yams

/// Where the API server is and how to authenticate to it: what a kubeconfig's current context or
/// a pod's service account says. Keys and tokens are `SecretValue`s.
public struct KubeConfig: Sendable {
    public var server: URL
    /// The context's namespace, or the pod's own in-cluster.
    public var namespace: String?
    public var tls: KubeTLS
    public var credential: KubeCredential

    public init(server: URL, namespace: String? = nil, tls: KubeTLS = KubeTLS(), credential: KubeCredential = .none) {
        self.server = server
        self.namespace = namespace
        self.tls = tls
        self.credential = credential
    }
}

/// TLS material for `https` servers. Ignored for `http` (local fakes).
public struct KubeTLS: Sendable {
    /// PEM; nil trusts the system roots.
    public var certificateAuthorityPEM: [UInt8]?
    public var insecureSkipVerify: Bool
    /// PEM client certificate and key, for client-certificate auth.
    public var clientCertificatePEM: [UInt8]?
    public var clientKeyPEM: SecretValue?

    public init(certificateAuthorityPEM: [UInt8]? = nil, insecureSkipVerify: Bool = false,
                clientCertificatePEM: [UInt8]? = nil, clientKeyPEM: SecretValue? = nil) {
        self.certificateAuthorityPEM = certificateAuthorityPEM
        self.insecureSkipVerify = insecureSkipVerify
        self.clientCertificatePEM = clientCertificatePEM
        self.clientKeyPEM = clientKeyPEM
    }
}

/// The bearer token, if any. A token file is re-read as it changes (projected service-account
/// tokens are rotated by the kubelet), so the file's path is kept, not its contents.
public enum KubeCredential: Sendable {
    case none
    case token(SecretValue)
    case tokenFile(String)
}

/// A kubeconfig or in-cluster setup we cannot use. Names files and keys, never their contents.
public struct KubeConfigError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { "kubeconfig: \(message)" }
}
