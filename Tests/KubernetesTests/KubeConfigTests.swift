import AegisCore
import AegisKubernetes
import Foundation
import Testing

/// Kubeconfig variants and in-cluster config, from temp files.
struct KubeConfigTests {
    static func kubeconfig(user: String, cluster: String = "server: https://10.0.0.1:6443") -> String {
        """
        apiVersion: v1
        kind: Config
        current-context: prod
        clusters:
        - name: other
          cluster:
            server: https://other.invalid
        - name: main
          cluster:
            \(cluster)
        contexts:
        - name: prod
          context:
            cluster: main
            user: deployer
            namespace: aegis
        users:
        - name: deployer
          user:
        \(user)
        """
    }

    @Test func tokenUserAndInlineCA() throws {
        let ca = Data("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n".utf8)
        let yaml = Self.kubeconfig(user: "    token: sekrit-token-1",
                                   cluster: "server: https://10.0.0.1:6443\n    certificate-authority-data: \(ca.base64EncodedString())")
        let config = try KubeConfig.parse(yaml, baseDirectory: "/nonexistent")
        #expect(config.server.absoluteString == "https://10.0.0.1:6443")
        #expect(config.namespace == "aegis")
        #expect(config.tls.certificateAuthorityPEM == Array(ca))
        guard case .token(let token) = config.credential else { Issue.record("expected a token"); return }
        #expect(token.revealSecretString() == "sekrit-token-1")
        #expect(!"\(config.credential)".contains("sekrit"))
    }

    @Test func tokenFileAndClientCertificatePathsAreResolvedAgainstTheFile() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try "CERT".write(to: folder.appendingPathComponent("client.crt"), atomically: true, encoding: .utf8)
        try "KEY".write(to: folder.appendingPathComponent("client.key"), atomically: true, encoding: .utf8)
        try "CA".write(to: folder.appendingPathComponent("ca.crt"), atomically: true, encoding: .utf8)
        let yaml = Self.kubeconfig(
            user: "    tokenFile: token\n    client-certificate: client.crt\n    client-key: \(folder.path)/client.key",
            cluster: "server: https://10.0.0.1:6443\n    certificate-authority: ca.crt\n    insecure-skip-tls-verify: true")
        let path = folder.appendingPathComponent("config").path
        try yaml.write(toFile: path, atomically: true, encoding: .utf8)
        let config = try KubeConfig.load(path: path)
        guard case .tokenFile(let tokenPath) = config.credential else { Issue.record("expected a token file"); return }
        #expect(tokenPath == folder.appendingPathComponent("token").path)
        #expect(config.tls.clientCertificatePEM == Array("CERT".utf8))
        #expect(config.tls.clientKeyPEM?.revealSecretString() == "KEY")
        #expect(config.tls.certificateAuthorityPEM == Array("CA".utf8))
        #expect(config.tls.insecureSkipVerify)
    }

    @Test func execPluginsAreRefusedClearly() throws {
        let yaml = Self.kubeconfig(user: "    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: aws")
        let error = try #require(throws: KubeConfigError.self) { try KubeConfig.parse(yaml, baseDirectory: "/") }
        #expect(error.description.contains("exec credential plugin"))
        #expect(error.description.contains("unsupported"))
    }

    /// A path in a kubeconfig is read with the bounded reader: `/dev/zero` used to be read until
    /// memory ran out, a FIFO until someone wrote to it (found fuzzing `FuzzKubeconfig`).
    @Test func aCertificatePathToADeviceIsRefusedInsteadOfReadForEver() throws {
        let yaml = Self.kubeconfig(user: "    token: abc", cluster: "server: https://10.0.0.1:6443\n    certificate-authority: /dev/zero")
        let error = try #require(throws: KubeConfigError.self) { try KubeConfig.parse(yaml, baseDirectory: "/") }
        #expect("\(error)".contains("/dev/zero") && "\(error)".contains("not a regular file"))
    }

    /// `Yams.load` force-unwrapped a mapping key that is not text and crashed the process (found
    /// by `FuzzKubeconfig`); the kubeconfig reader now walks the nodes itself.
    @Test func aMappingKeyThatIsNotTextIsAnErrorNotACrash() throws {
        let yaml = Self.kubeconfig(user: "    token: abc\n    ? [tag, list]\n    : value")
        let error = try #require(throws: KubeConfigError.self) { try KubeConfig.parse(yaml, baseDirectory: "/") }
        #expect(error.description.contains("not a plain name"))
        let numeric = try KubeConfig.parse(Self.kubeconfig(user: "    token: 12345"), baseDirectory: "/")
        guard case .token(let token) = numeric.credential else {
            Issue.record("a numeric token was not read as a token")
            return
        }
        #expect(token.revealSecretBytes() == Array("12345".utf8))
    }

    @Test func fromEnvironmentReadsKUBECONFIG() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("config").path
        try Self.kubeconfig(user: "    token: t").write(toFile: path, atomically: true, encoding: .utf8)
        let config = try KubeConfig.fromEnvironment(["KUBECONFIG": path + ":/other"], inCluster: InClusterPaths(directory: "/nonexistent"))
        #expect(config.server.host == "10.0.0.1")
    }

    @Test func inClusterUsesTheServiceAccountFiles() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try "sa-token".write(to: folder.appendingPathComponent("token"), atomically: true, encoding: .utf8)
        try "CA".write(to: folder.appendingPathComponent("ca.crt"), atomically: true, encoding: .utf8)
        try "payments\n".write(to: folder.appendingPathComponent("namespace"), atomically: true, encoding: .utf8)
        let config = try KubeConfig.fromEnvironment(
            ["KUBERNETES_SERVICE_HOST": "10.96.0.1", "KUBERNETES_SERVICE_PORT": "443"],
            inCluster: InClusterPaths(directory: folder.path))
        #expect(config.server.absoluteString == "https://10.96.0.1:443")
        #expect(config.namespace == "payments")
        #expect(config.tls.certificateAuthorityPEM == Array("CA".utf8))
        guard case .tokenFile(let path) = config.credential else { Issue.record("expected the token file"); return }
        #expect(path == folder.appendingPathComponent("token").path)

        #expect(throws: KubeConfigError.self) { try KubeConfig.fromEnvironment([:], inCluster: InClusterPaths(directory: folder.path)) }
    }
}
