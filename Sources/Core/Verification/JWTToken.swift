import _CryptoExtras
import Crypto
import Foundation

/// Just enough JWT (RFC 7515/7519) to prove a deployed key set works: sign a token with a key and
/// verify it by `kid` against a set, the way aegis-api's verifiers select keys. The algorithm is
/// pinned by the key's material (RSA PEM → RS256, anything else → HS256), never read from the token.
public enum JWTToken {
    public enum Algorithm: String, Sendable { case hs256 = "HS256", rs256 = "RS256" }

    public static func algorithm(of key: SecretValue) -> Algorithm {
        key.revealSecretString().hasPrefix("-----BEGIN") ? .rs256 : .hs256
    }

    public static func sign(kid: String, key: SecretValue, claims: [String: String]) throws -> String {
        let algorithm = algorithm(of: key)
        let header = base64URL(try JSONSerialization.data(withJSONObject: ["alg": algorithm.rawValue, "typ": "JWT", "kid": kid], options: [.sortedKeys]))
        let payload = base64URL(try JSONSerialization.data(withJSONObject: claims, options: [.sortedKeys]))
        let input = Data("\(header).\(payload)".utf8)
        let signature: Data
        switch algorithm {
        case .hs256:
            signature = Data(HMAC<SHA256>.authenticationCode(for: input, using: SymmetricKey(data: key.revealSecretBytes())))
        case .rs256:
            let privateKey = try _RSA.Signing.PrivateKey(pemRepresentation: key.revealSecretString())
            signature = try privateKey.signature(for: input, padding: .insecurePKCS1v1_5).rawRepresentation
        }
        return "\(header).\(payload).\(base64URL(signature))"
    }

    /// True when the token's `kid` names a key in `keys` and the signature verifies with it.
    public static func verify(_ token: String, keys: [String: SecretValue]) -> Bool {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 3, let headerData = decodeBase64URL(parts[0]), let signature = decodeBase64URL(parts[2]),
              let header = try? JSONSerialization.jsonObject(with: headerData) as? [String: String],
              let kid = header["kid"], let key = keys[kid] else { return false }
        let algorithm = algorithm(of: key)
        guard header["alg"] == algorithm.rawValue else { return false }
        let input = Data("\(parts[0]).\(parts[1])".utf8)
        switch algorithm {
        case .hs256:
            return HMAC<SHA256>.isValidAuthenticationCode(signature, authenticating: input, using: SymmetricKey(data: key.revealSecretBytes()))
        case .rs256:
            guard let privateKey = try? _RSA.Signing.PrivateKey(pemRepresentation: key.revealSecretString()) else { return false }
            return privateKey.publicKey.isValidSignature(_RSA.Signing.RSASignature(rawRepresentation: signature), for: input, padding: .insecurePKCS1v1_5)
        }
    }

    static func base64URL(_ data: Data) -> String { CompactJWS.base64URL(data) }

    static func decodeBase64URL(_ text: String) -> Data? {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        return Data(base64Encoded: base64)
    }
}
