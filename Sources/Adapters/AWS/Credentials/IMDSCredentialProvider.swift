import AegisCore
import Foundation

/// EC2 instance metadata, IMDSv2 only: `PUT /latest/api/token` with
/// `X-aws-ec2-metadata-token-ttl-seconds`, then, with `X-aws-ec2-metadata-token`, the role name
/// from `/latest/meta-data/iam/security-credentials/` and the credentials from `…/<role>`.
///
/// Endpoint: `AWS_EC2_METADATA_SERVICE_ENDPOINT`, default `http://169.254.169.254`. Off when
/// `AWS_EC2_METADATA_DISABLED=true`. Not being on EC2 (no answer in `timeout`) means "not
/// configured" (nil), so a chain ends with a clear "no credentials found".
///
/// See <https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/configuring-instance-metadata-service.html>.
public struct IMDSCredentialProvider: AWSCredentialProvider {
    public let name = "instance metadata"
    public static let defaultEndpoint = URL(string: "http://169.254.169.254")!
    static let tokenTTLSeconds = 21600

    let environment: [String: String]
    let transport: any AWSHTTPTransport
    let timeout: Duration

    public init(environment: [String: String], transport: any AWSHTTPTransport = AsyncHTTPClientTransport(), timeout: Duration = .seconds(1)) {
        self.environment = environment
        self.transport = transport
        self.timeout = timeout
    }

    var isDisabled: Bool { environment["AWS_EC2_METADATA_DISABLED"]?.lowercased() == "true" }

    var endpoint: String {
        let configured = environment["AWS_EC2_METADATA_SERVICE_ENDPOINT"].flatMap { $0.isEmpty ? nil : $0 }
        return (configured ?? Self.defaultEndpoint.absoluteString).trimmingSuffix("/")
    }

    public func credentials() async throws -> AWSCredentials? {
        if isDisabled { return nil }
        guard let tokenURL = URL(string: endpoint + "/latest/api/token"),
              let listURL = URL(string: endpoint + "/latest/meta-data/iam/security-credentials/") else {
            throw AWSCredentialError(provider: name, message: "AWS_EC2_METADATA_SERVICE_ENDPOINT is not a URL")
        }
        let tokenResponse: AWSHTTPResponse
        do {
            tokenResponse = try await transport.send(
                AWSHTTPRequest(method: "PUT", url: tokenURL, headers: [("X-aws-ec2-metadata-token-ttl-seconds", String(Self.tokenTTLSeconds))]),
                timeout: timeout)
        } catch {
            return nil  // no metadata service here
        }
        guard tokenResponse.status == 200 else {
            throw AWSCredentialError(provider: name, message: "the token request answered HTTP \(tokenResponse.status)")
        }
        let token = SecretValue(bytes: tokenResponse.body)
        let roles = try await get(listURL, token: token)
        guard let role = String(decoding: roles, as: UTF8.self).split(whereSeparator: \.isNewline).first.map(String.init), !role.isEmpty else {
            throw AWSCredentialError(provider: name, message: "the instance has no IAM role")
        }
        guard let roleURL = URL(string: listURL.absoluteString + SigV4Encoding.uriEncode(role)) else {
            throw AWSCredentialError(provider: name, message: "the role name is not usable in a URL")
        }
        return try TemporaryCredentialsDocument.decode(try await get(roleURL, token: token), provider: name)
    }

    func get(_ url: URL, token: SecretValue) async throws -> [UInt8] {
        let response: AWSHTTPResponse
        do {
            response = try await transport.send(
                AWSHTTPRequest(method: "GET", url: url, headers: [("X-aws-ec2-metadata-token", token.revealSecretString())]),
                timeout: timeout)
        } catch {
            throw AWSCredentialError(provider: name, message: "\(error)")
        }
        guard response.status == 200 else {
            throw AWSCredentialError(provider: name, message: "\(url.path) answered HTTP \(response.status)")
        }
        return response.body
    }
}
