import AegisCore
import Foundation

/// The JSON document the container credential endpoint and the instance metadata service both
/// return: `AccessKeyId`, `SecretAccessKey`, `Token`, `Expiration` (ISO 8601), and for IMDS
/// `Code` (`Success`). Secrets are wrapped as they are decoded.
struct TemporaryCredentialsDocument: Decodable {
    var Code: String?
    var AccessKeyId: String
    var SecretAccessKey: DecodedSecret
    var Token: DecodedSecret?
    var Expiration: String?

    /// Decodes the document; the error names the provider only, never the body.
    static func decode(_ body: [UInt8], provider: String) throws -> AWSCredentials {
        guard let document = try? JSONDecoder().decode(Self.self, from: Data(body)) else {
            throw AWSCredentialError(provider: provider, message: "the credentials document could not be read")
        }
        if let code = document.Code, code != "Success" {
            throw AWSCredentialError(provider: provider, message: "the endpoint answered Code \(code)")
        }
        return AWSCredentials(accessKeyID: document.AccessKeyId, secretAccessKey: document.SecretAccessKey.value,
                              sessionToken: document.Token?.value, expiration: AWSDate.parse(document.Expiration))
    }
}
