import _CryptoExtras
import Crypto
import Foundation

/// Makes new secret values inside the bot, so they never pass through a person or a chat.
public enum SecretGenerator {
    public enum Format: Sendable, Equatable {
        /// 64 random bytes, base64 (HS256 wants at least 256 bits; RFC 7518 §3.2).
        case jwtHS256
        /// An RSA-2048 private key, PKCS#1 PEM (RFC 7518 §3.3); verifiers derive the public key.
        case jwtRS256
        case randomBase64(bytes: Int)
        case alphanumeric(length: Int)
    }

    public static func format(of step: StepDefinition) throws -> Format {
        switch step.text("format") {
        case "jwt-hs256": return .jwtHS256
        case "jwt-rs256": return .jwtRS256
        case "random-base64": return .randomBase64(bytes: Int(step.text("bytes") ?? "64") ?? 64)
        case "alphanumeric": return .alphanumeric(length: Int(step.text("length") ?? "32") ?? 32)
        default: throw StepError.misconfigured("step '\(step.name)' has no known format")
        }
    }

    public static func generate(_ format: Format) throws -> SecretValue {
        switch format {
        case .jwtHS256:
            return SecretValue(utf8: Data(randomBytes(64)).base64EncodedString())
        case .jwtRS256:
            let key = try _RSA.Signing.PrivateKey(keySize: .bits2048)
            return SecretValue(utf8: key.pemRepresentation)
        case .randomBase64(let count):
            return SecretValue(utf8: Data(randomBytes(count)).base64EncodedString())
        case .alphanumeric(let length):
            return SecretValue(utf8: alphanumeric(length))
        }
    }

    static func randomBytes(_ count: Int) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<count).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
    }

    /// Uniform over [A-Za-z0-9]; ASCII only, so SCRAM's SASLprep leaves it unchanged.
    static func alphanumeric(_ length: Int) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
        var generator = SystemRandomNumberGenerator()
        return String((0..<length).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &generator)] })
    }

    /// A new version ID: random, readable, and usable as a JWT `kid`.
    public static func versionID() -> String {
        "v-" + UUID().uuidString.lowercased()
    }
}
