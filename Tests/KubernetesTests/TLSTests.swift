import AegisCore
import AegisKubernetes
import Foundation
import KubernetesFake
import Testing

/// HTTPS with the kubeconfig's CA and client-certificate auth, against the fake serving TLS and
/// demanding a client certificate signed by the test CA.
@Suite(.serialized)
struct TLSTests {
    @Test func clientCertificateAuthFromAKubeconfigOverTLS() async throws {
        let certificates = try await TestCertificates.make()
        defer { try? FileManager.default.removeItem(at: certificates.folder) }
        let fake = try await KubernetesFake.start(tls: .init(certificatePEM: certificates.serverCertificatePEM,
                                                             privateKeyPEM: certificates.serverKeyPEM,
                                                             clientCertificateAuthorityPEM: certificates.caPEM))
        func base64(_ bytes: [UInt8]) -> String { Data(bytes).base64EncodedString() }
        let yaml = """
            apiVersion: v1
            kind: Config
            current-context: tls
            clusters:
            - name: tls
              cluster:
                server: \(fake.serverURL)
                certificate-authority-data: \(base64(certificates.caPEM))
            contexts:
            - name: tls
              context: {cluster: tls, user: cert}
            users:
            - name: cert
              user:
                client-certificate: client.crt
                client-key-data: \(base64(certificates.clientKeyPEM))
            """
        let path = certificates.folder.appendingPathComponent("config").path
        try yaml.write(toFile: path, atomically: true, encoding: .utf8)
        let config = try KubeConfig.load(path: path)
        let client = try KubernetesClient(config: config, timeout: .seconds(10))
        let withoutCertificate = try KubernetesClient(
            config: KubeConfig(server: config.server, tls: KubeTLS(certificateAuthorityPEM: certificates.caPEM)), timeout: .seconds(2))
        let untrusting = try KubernetesClient(config: KubeConfig(server: config.server, tls: KubeTLS(
            clientCertificatePEM: certificates.clientCertificatePEM, clientKeyPEM: SecretValue(bytes: certificates.clientKeyPEM))),
            timeout: .seconds(2))
        do {
            let target = KubernetesDeployTarget(client: client)
            try await target.patchConfig(aegisAPI, set: ["TLS_KEY": SecretValue(utf8: "over-tls")], remove: [])
            #expect(try await target.readConfig(aegisAPI)["TLS_KEY"]?.revealSecretString() == "over-tls")
            #expect(await fake.requests.allSatisfy { !$0.hadBearerToken })

            // No client certificate: the server ends the handshake. The system roots do not trust the test CA.
            // (AsyncHTTPClient retries a failed handshake until the request's deadline, hence 2 s timeouts.)
            // Both are TLS refusals: not transient.
            for failing in [withoutCertificate, untrusting] {
                let error = await #expect(throws: AdapterError.self) { try await KubernetesDeployTarget(client: failing).readConfig(aegisAPI) }
                #expect(error?.isTransient == false)
                #expect(error?.description.contains("TLS") == true, "\(String(describing: error))")
            }
            #expect(await fake.requests.count == 2)
        } catch {
            Issue.record(error)
        }
        for each in [client, withoutCertificate, untrusting] { try? await each.shutdown() }
        await fake.stop()
    }
}
