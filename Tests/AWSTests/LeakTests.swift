import AegisTestServers
import AegisAWS
import AegisCore
import Foundation
import Testing

/// Runs a whole scenario with a trace-level capturing logger and checks that no secret (secret
/// access keys, session tokens, secret values) appears in any log line or error description.
@Suite("leak check: no secret in logs or errors", .timeLimit(.minutes(2)))
struct LeakTests {
    @Test("moto scenario: store writes, new IAM keys, refused signatures, a refused container token")
    func scenario() async throws {
        let capture = LogCapture()
        let secrets = try await MotoServer.withMoto { moto in
            var secrets: [String] = [moto.admin.secretAccessKey.revealSecretString()]
            var descriptions: [String] = []
            let logger = capture.logger()
            let client = try moto.client(logger: logger)
            let store = SecretsManagerStore(client: client)
            let secret = StorageLocation(kind: .awsSecretsManager, name: "leak/check")
            let values = (0..<3).map { "LEAK-CANARY-value-\($0)-\(UUID().uuidString)" }
            secrets += values
            let v1 = "v-" + UUID().uuidString.lowercased(), v2 = "v-" + UUID().uuidString.lowercased()
            try await store.createSecret(name: secret.name, versionID: v1, value: SecretValue(utf8: values[0]))
            try await store.putPending(secret: secret, versionID: v2, value: SecretValue(utf8: values[1]))
            _ = try await store.value(secret: secret, versionID: v2)
            try await store.makeCurrent(secret: secret, versionID: v2)
            descriptions.append("\(try await store.versions(secret: secret))")

            // Conflicting write of a different value under an existing name: an AWS error.
            do throws(AWSError) {
                try await store.createSecret(name: secret.name, versionID: "v-" + UUID().uuidString.lowercased(), value: SecretValue(utf8: values[2]))
                Issue.record("creating an existing secret should fail")
            } catch {
                descriptions.append(error.description)
                descriptions.append(error.adapterError.description)
            }

            let iam = IAMAccessKeys(client: client)
            let key = try await iam.createAccessKey(userName: moto.userName)
            secrets.append(key.secretAccessKey.revealSecretString())
            descriptions.append("\(key)")
            descriptions.append("\(key.credentials)")

            // Refused: a wrong secret with a session token (AWS echoes the canonical request, token included).
            let wrongSecret = "LEAK-CANARY-wrong-\(UUID().uuidString)"
            let wrongToken = "LEAK-CANARY-token-\(UUID().uuidString)"
            secrets += [wrongSecret, wrongToken]
            let wrong = AWSCredentials(accessKeyID: key.metadata.accessKeyID, secretAccessKey: SecretValue(utf8: wrongSecret),
                                       sessionToken: SecretValue(utf8: wrongToken))
            let refusedClient = try moto.client(wrong, logger: logger)
            do {
                _ = try await SecretsManagerStore(client: refusedClient).versions(secret: secret)
                Issue.record("a wrong secret should be refused")
            } catch {
                descriptions.append("\(error)")
                descriptions.append(String(reflecting: error))
            }
            // Refused: a wrong secret without a token (SignatureDoesNotMatch, whose AWS message
            // goes on with the canonical request).
            let wrongLongTerm = AWSCredentials(accessKeyID: key.metadata.accessKeyID, secretAccessKey: SecretValue(utf8: wrongSecret))
            do {
                _ = try await SecretsManagerStore(client: try moto.client(wrongLongTerm, logger: logger)).value(secret: secret, versionID: v2)
                Issue.record("a wrong secret should be refused")
            } catch {
                descriptions.append("\(error)")
                descriptions.append(String(reflecting: error))
            }
            do {
                _ = try await STSClient(client: refusedClient).callerIdentity()
                Issue.record("a wrong secret should be refused")
            } catch {
                descriptions.append("\(error)")
                descriptions.append(String(reflecting: error))
            }
            let fakeAgentToken = "LEAK-CANARY-agent-\(UUID().uuidString)"
            secrets.append(fakeAgentToken)
            do {
                _ = try await ContainerCredentialProvider(environment: [
                    "AWS_CONTAINER_CREDENTIALS_FULL_URI": moto.endpoint.appendingPathComponent("no-such-agent").absoluteString,
                    "AWS_CONTAINER_AUTHORIZATION_TOKEN": fakeAgentToken,
                ]).credentials()
                Issue.record("moto is not a container agent")
            } catch {
                descriptions.append("\(error)")
            }
            for description in descriptions { capture.append("description: \(description)") }
            return secrets
        }

        let lines = capture.all
        // The refusals were captured.
        #expect(lines.contains { $0.contains("SignatureDoesNotMatch") })
        #expect(lines.contains { $0.contains("InvalidClientTokenId") })
        #expect(lines.count > 10)
        for (number, line) in lines.enumerated() {
            expectNoSecret(in: line, secrets, pieces: true, context: "captured line \(number)")
        }
    }

    @Test("the checker itself catches a whole secret and a piece of one")
    func checkerCatchesLeaks() {
        let secrets = ["CANARY-0123456789abcdef-tail", "other-secret-value-xyz"]
        #expect(secretFindings(in: "error: key=CANARY-0123456789abcdef-tail", secrets) == ["secret #0"])
        #expect(secretFindings(in: "prefix CANARY-012345678 only", secrets, pieces: true) == ["part of secret #0"])
        #expect(secretFindings(in: "prefix CANARY-012345678 only", secrets) == [])
        #expect(secretFindings(in: "nothing to see", secrets, pieces: true) == [])
    }
}
