import AegisCore
import Foundation

/// `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` and optionally `AWS_SESSION_TOKEN`.
public struct EnvironmentCredentialProvider: AWSCredentialProvider {
    public let name = "environment"
    let environment: [String: String]

    public init(environment: [String: String]) { self.environment = environment }

    public func credentials() async throws -> AWSCredentials? {
        let id = environment["AWS_ACCESS_KEY_ID"].flatMap { $0.isEmpty ? nil : $0 }
        let secret = environment["AWS_SECRET_ACCESS_KEY"].flatMap { $0.isEmpty ? nil : $0 }
        switch (id, secret) {
        case (nil, nil):
            return nil
        case let (id?, secret?):
            let token = environment["AWS_SESSION_TOKEN"].flatMap { $0.isEmpty ? nil : SecretValue(utf8: $0) }
            return AWSCredentials(accessKeyID: id, secretAccessKey: SecretValue(utf8: secret), sessionToken: token)
        case (_?, nil):
            throw AWSCredentialError(provider: name, message: "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not")
        case (nil, _?):
            throw AWSCredentialError(provider: name, message: "AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not")
        }
    }
}
