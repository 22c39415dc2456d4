import AegisCore
import Foundation

/// The value an IAM access key rotation stores in Secrets Manager: the JSON object
/// `{"AccessKeyId": "AKIA…", "SecretAccessKey": "…"}` (the field names of IAM's own
/// `CreateAccessKey` answer and of the AWS CLI), held as a `SecretValue`. The key ID is not
/// secret (it appears in CloudTrail and in facts); the secret access key never leaves the
/// `SecretValue` except to sign a request.
public struct IAMAccessKeyPair: Sendable, CustomStringConvertible {
    public var accessKeyID: String
    public var secretAccessKey: SecretValue

    public init(accessKeyID: String, secretAccessKey: SecretValue) {
        self.accessKeyID = accessKeyID
        self.secretAccessKey = secretAccessKey
    }

    /// Reads a stored value. The error names the version only: the parser's own message could
    /// quote the value.
    public init(stored value: SecretValue, versionID: String) throws(StepError) {
        guard let object = try? JSONSerialization.jsonObject(with: Data(value.revealSecretBytes())) as? [String: Any],
              let id = object["AccessKeyId"] as? String, !id.isEmpty,
              let secret = object["SecretAccessKey"] as? String, !secret.isEmpty else {
            throw StepError.storeInconsistent(
                "version \(versionID) is not an access key pair (a JSON object with AccessKeyId and SecretAccessKey)")
        }
        self.init(accessKeyID: id, secretAccessKey: SecretValue(utf8: secret))
    }

    /// The JSON object to store, as a `SecretValue`.
    public func stored() throws -> SecretValue {
        let object = ["AccessKeyId": accessKeyID, "SecretAccessKey": secretAccessKey.revealSecretString()]
        return SecretValue(bytes: Array(try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])))
    }

    /// Credentials that sign with this key.
    public var credentials: AWSCredentials { AWSCredentials(accessKeyID: accessKeyID, secretAccessKey: secretAccessKey) }

    public var description: String { "IAMAccessKeyPair(\(accessKeyID), secret <redacted>)" }
}
