import AegisCore
import Foundation

/// Web identity federation (EKS IRSA and the like): `AWS_WEB_IDENTITY_TOKEN_FILE` and
/// `AWS_ROLE_ARN` (and `AWS_ROLE_SESSION_NAME`), exchanged at STS with
/// `AssumeRoleWithWebIdentity`. The token file is read on every fetch because the platform
/// replaces it before it expires.
public struct WebIdentityCredentialProvider: AWSCredentialProvider {
    public let name = "web identity"
    let environment: [String: String]
    let sts: STSClient

    /// `client` should have no credential provider of its own: the call is unsigned, and its
    /// STS endpoint follows `AWS_ENDPOINT_URL_STS` / `AWS_REGION`.
    public init(environment: [String: String], client: AWSClient) {
        self.environment = environment
        self.sts = STSClient(client: client)
    }

    public func credentials() async throws -> AWSCredentials? {
        let tokenFile = environment["AWS_WEB_IDENTITY_TOKEN_FILE"].flatMap { $0.isEmpty ? nil : $0 }
        let roleARN = environment["AWS_ROLE_ARN"].flatMap { $0.isEmpty ? nil : $0 }
        guard let tokenFile else {
            return nil
        }
        guard let roleARN else {
            throw AWSCredentialError(provider: name, message: "AWS_WEB_IDENTITY_TOKEN_FILE is set but AWS_ROLE_ARN is not")
        }
        guard let data = BoundedFile.contents(tokenFile), !data.isEmpty else {
            throw AWSCredentialError(provider: name, message: "cannot read the token file \(tokenFile)")
        }
        let token = SecretValue(bytes: Array(String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines).utf8))
        let sessionName = environment["AWS_ROLE_SESSION_NAME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? "aegis-rotate-\(Int(Date().timeIntervalSince1970))"
        do throws(AWSError) {
            return try await sts.assumeRoleWithWebIdentity(roleARN: roleARN, sessionName: sessionName, webIdentityToken: token)
        } catch {
            throw AWSCredentialError(provider: name, message: error.description)
        }
    }
}
