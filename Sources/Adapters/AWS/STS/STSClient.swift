import AegisCore
import Foundation

/// Who a set of credentials belongs to (`GetCallerIdentity`).
public struct AWSCallerIdentity: Sendable, Hashable {
    public var account: String
    public var arn: String
    public var userID: String
}

/// The STS operations the bot needs: proving a key works, and web identity federation.
public struct STSClient: Sendable {
    let client: AWSClient
    static let service = AWSService.sts

    public init(client: AWSClient) { self.client = client }

    /// `GetCallerIdentity`, signed with `credentials` when given (to prove a new key works),
    /// else with the client's provider.
    public func callerIdentity(credentials: AWSCredentials? = nil) async throws(AWSError) -> AWSCallerIdentity {
        let signing: AWSClient.Signing = credentials.map { .credentials($0) } ?? .provider
        let tree = try await client.query(Self.service, action: "GetCallerIdentity", signing: signing)
        let result = try client.result(tree, service: Self.service, action: "GetCallerIdentity")
        guard let account = result.string("Account"), let arn = result.string("Arn") else {
            throw AWSError(kind: .invalidResponse, service: "sts", operation: "GetCallerIdentity", code: "InvalidResponse",
                           message: "the answer has no Account or Arn")
        }
        return AWSCallerIdentity(account: account, arn: arn, userID: result.string("UserId") ?? "")
    }

    /// `AssumeRoleWithWebIdentity`: unsigned; the token (an OIDC JWT) is the proof.
    public func assumeRoleWithWebIdentity(
        roleARN: String, sessionName: String, webIdentityToken: SecretValue, durationSeconds: Int? = nil
    ) async throws(AWSError) -> AWSCredentials {
        var parameters = [("RoleArn", roleARN), ("RoleSessionName", sessionName),
                          ("WebIdentityToken", webIdentityToken.revealSecretString())]
        if let durationSeconds { parameters.append(("DurationSeconds", String(durationSeconds))) }
        let tree = try await client.query(Self.service, action: "AssumeRoleWithWebIdentity", parameters: parameters, signing: .unsigned)
        let result = try client.result(tree, service: Self.service, action: "AssumeRoleWithWebIdentity")
        guard let credentials = result.child("Credentials"), let id = credentials.string("AccessKeyId"),
              let secret = credentials.string("SecretAccessKey") else {
            throw AWSError(kind: .invalidResponse, service: "sts", operation: "AssumeRoleWithWebIdentity", code: "InvalidResponse",
                           message: "the answer has no Credentials")
        }
        return AWSCredentials(accessKeyID: id, secretAccessKey: SecretValue(utf8: secret),
                              sessionToken: credentials.string("SessionToken").map(SecretValue.init(utf8:)),
                              expiration: AWSDate.parse(credentials.string("Expiration")))
    }
}
