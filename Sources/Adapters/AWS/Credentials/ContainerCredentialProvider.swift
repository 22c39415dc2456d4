import AegisCore
import Foundation

/// Container credentials (ECS task roles, EKS Pod Identity).
///
/// - `AWS_CONTAINER_CREDENTIALS_RELATIVE_URI`: a path on the ECS agent, `http://169.254.170.2`
///   (`relativeBaseURL` overrides it, for tests).
/// - `AWS_CONTAINER_CREDENTIALS_FULL_URI`: a full URL, with `Authorization` from
///   `AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE` (read on every fetch) or
///   `AWS_CONTAINER_AUTHORIZATION_TOKEN`. Plain `http` is allowed only to loopback and the
///   container agent addresses, as the AWS SDKs do, so a token never crosses a network in clear.
public struct ContainerCredentialProvider: AWSCredentialProvider {
    public let name = "container"
    public static let defaultRelativeBaseURL = URL(string: "http://169.254.170.2")!
    static let allowedHTTPHosts: Set<String> = ["127.0.0.1", "localhost", "::1", "[::1]", "169.254.170.2", "169.254.170.23", "fd00:ec2::23", "[fd00:ec2::23]"]

    let environment: [String: String]
    let transport: any AWSHTTPTransport
    let relativeBaseURL: URL
    let timeout: Duration

    public init(environment: [String: String], transport: any AWSHTTPTransport = AsyncHTTPClientTransport(),
                relativeBaseURL: URL = ContainerCredentialProvider.defaultRelativeBaseURL, timeout: Duration = .seconds(2)) {
        self.environment = environment
        self.transport = transport
        self.relativeBaseURL = relativeBaseURL
        self.timeout = timeout
    }

    func value(_ key: String) -> String? { environment[key].flatMap { $0.isEmpty ? nil : $0 } }

    public func credentials() async throws -> AWSCredentials? {
        let url: URL
        if let relative = value("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI") {
            guard let joined = URL(string: relativeBaseURL.absoluteString.trimmingSuffix("/") + (relative.hasPrefix("/") ? relative : "/" + relative)) else {
                throw AWSCredentialError(provider: name, message: "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI is not a path")
            }
            url = joined
        } else if let full = value("AWS_CONTAINER_CREDENTIALS_FULL_URI") {
            guard let parsed = URL(string: full), let scheme = parsed.scheme, let host = parsed.host else {
                throw AWSCredentialError(provider: name, message: "AWS_CONTAINER_CREDENTIALS_FULL_URI is not a URL")
            }
            guard scheme == "https" || (scheme == "http" && Self.allowedHTTPHosts.contains(host)) else {
                throw AWSCredentialError(provider: name, message: "AWS_CONTAINER_CREDENTIALS_FULL_URI must be https, or http to loopback or the container agent (host \(host))")
            }
            url = parsed
        } else {
            return nil
        }

        var headers: [(name: String, value: String)] = [("Accept", "application/json")]
        if let token = try authorizationToken() { headers.append(("Authorization", token.revealSecretString())) }
        let response: AWSHTTPResponse
        do {
            response = try await transport.send(AWSHTTPRequest(method: "GET", url: url, headers: headers), timeout: timeout)
        } catch {
            throw AWSCredentialError(provider: name, message: "\(error)")
        }
        guard response.status == 200 else {
            throw AWSCredentialError(provider: name, message: "the endpoint answered HTTP \(response.status)")
        }
        return try TemporaryCredentialsDocument.decode(response.body, provider: name)
    }

    func authorizationToken() throws -> SecretValue? {
        if let file = value("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE") {
            guard let data = BoundedFile.contents(file) else {
                throw AWSCredentialError(provider: name, message: "cannot read AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE \(file)")
            }
            return SecretValue(utf8: String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
        }
        return value("AWS_CONTAINER_AUTHORIZATION_TOKEN").map(SecretValue.init(utf8:))
    }
}

extension String {
    func trimmingSuffix(_ suffix: String) -> String {
        hasSuffix(suffix) ? String(dropLast(suffix.count)) : self
    }
}
