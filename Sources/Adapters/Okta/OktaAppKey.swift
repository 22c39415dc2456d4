import _CryptoExtras
import AegisCore
import Crypto
import Foundation

/// A service app's signing key pair, as the store keeps it: the JSON object
/// `{"kid": "<key ID>", "alg": "RS256", "private_key": "<PKCS#8 PEM>"}`.
///
/// The private key never leaves the store and this value; Okta holds only the public half (a
/// JWK with the same `kid`). The kid is how the bot finds the key at Okta (the old one on the
/// first rotation from a hand-made key too), and how a client assertion names the key it is
/// signed with. RSA 2048 with RS256: what Okta's `private_key_jwt` accepts for app keys.
public struct OktaAppKey: Sendable {
    public let kid: String
    let privateKey: _RSA.Signing.PrivateKey

    /// A new 2048-bit key pair under `kid`.
    public static func generate(kid: String) throws -> OktaAppKey {
        OktaAppKey(kid: kid, privateKey: try _RSA.Signing.PrivateKey(keySize: .bits2048))
    }

    init(kid: String, privateKey: _RSA.Signing.PrivateKey) {
        self.kid = kid
        self.privateKey = privateKey
    }

    /// Reads a stored version; the error names the version, never the value.
    public init(stored: SecretValue, versionID: String) throws {
        let object = (try? JSONSerialization.jsonObject(with: Data(stored.revealSecretBytes()))) as? [String: Any]
        guard let kid = object?["kid"] as? String, !kid.isEmpty, let pem = object?["private_key"] as? String else {
            throw StepError.storeInconsistent("version \(versionID) is not an Okta app key (a JSON object with kid and private_key)")
        }
        guard let key = try? _RSA.Signing.PrivateKey(pemRepresentation: pem) else {
            throw StepError.storeInconsistent("version \(versionID) holds a private_key that is not an RSA key of 2048 bits or more")
        }
        self.init(kid: kid, privateKey: key)
    }

    /// The value to store.
    public func stored() -> SecretValue {
        let object = ["kid": kid, "alg": "RS256", "private_key": privateKey.pkcs8PEMRepresentation]
        return SecretValue(bytes: Array((try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()))
    }

    /// The public JWK Okta is given (`POST …/credentials/jwks`).
    public func publicJWK(status: OktaJWK.Status? = nil) -> [String: String] {
        var jwk = ["kty": "RSA", "alg": "RS256", "use": "sig", "kid": kid, "n": modulus,
                   "e": Self.base64URL((try? privateKey.publicKey.getKeyPrimitives().publicExponent) ?? Data())]
        if let status { jwk["status"] = status.rawValue }
        return jwk
    }

    /// The base64url modulus: tells this key's JWK from another under the same kid.
    public var modulus: String { Self.base64URL((try? privateKey.publicKey.getKeyPrimitives().modulus) ?? Data()) }

    /// A `private_key_jwt` client assertion (RFC 7523): RS256, `kid` in the header,
    /// iss = sub = the client ID, aud = the token endpoint, a fresh `jti`, valid for 5 minutes
    /// (Okta accepts at most an hour).
    public func clientAssertion(clientID: String, audience: String, now: Date = Date()) throws -> SecretValue {
        let issued = Int(now.timeIntervalSince1970)
        let header: [String: Any] = ["alg": "RS256", "typ": "JWT", "kid": kid]
        let claims: [String: Any] = ["iss": clientID, "sub": clientID, "aud": audience, "iat": issued, "exp": issued + 300,
                                     "jti": UUID().uuidString]
        return SecretValue(utf8: try CompactJWS.rs256(header: header, claims: claims, key: privateKey))
    }

    static func base64URL(_ data: Data) -> String { CompactJWS.base64URL(data) }
}
