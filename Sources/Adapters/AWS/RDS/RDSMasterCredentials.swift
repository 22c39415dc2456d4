import AegisCore
import Foundation

/// The value RDS keeps in a managed master user secret: the JSON object
/// `{"username": "…", "password": "…"}`. The username is not secret; the password never leaves
/// the `SecretValue`.
public struct RDSMasterCredentials: Sendable, CustomStringConvertible {
    public var username: String
    public var password: SecretValue

    /// Reads a stored value. The error names the secret and version only: the parser's own
    /// message could quote the value.
    public init(stored value: SecretValue, secret: String, versionID: String) throws(StepError) {
        guard let object = try? JSONSerialization.jsonObject(with: Data(value.revealSecretBytes())) as? [String: Any],
              let username = object["username"] as? String, !username.isEmpty,
              let password = object["password"] as? String, !password.isEmpty else {
            throw StepError.storeInconsistent(
                "version \(versionID) of \(secret) is not RDS master credentials (a JSON object with username and password)")
        }
        self.username = username
        self.password = SecretValue(utf8: password)
    }

    public var description: String { "RDSMasterCredentials(\(username), password <redacted>)" }
}
