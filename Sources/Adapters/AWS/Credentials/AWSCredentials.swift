import AegisCore
import Foundation

/// A set of AWS credentials. The secret access key and the session token stay wrapped in
/// `SecretValue`; only the signer reveals them. Printing a value of this type shows the access
/// key ID (not a secret: it names the key) and nothing else.
public struct AWSCredentials: Sendable, CustomStringConvertible {
    public var accessKeyID: String
    public var secretAccessKey: SecretValue
    public var sessionToken: SecretValue?
    /// When temporary credentials stop working; nil for long-term keys.
    public var expiration: Date?

    public init(accessKeyID: String, secretAccessKey: SecretValue, sessionToken: SecretValue? = nil, expiration: Date? = nil) {
        self.accessKeyID = accessKeyID
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
        self.expiration = expiration
    }

    public var description: String {
        "AWSCredentials(\(accessKeyID), secret <redacted>\(sessionToken == nil ? "" : ", session token <redacted>"))"
    }

    /// True once `expiration` is less than `margin` away.
    public func expires(within margin: TimeInterval, now: Date = Date()) -> Bool {
        guard let expiration else { return false }
        return expiration.timeIntervalSince(now) < margin
    }
}
