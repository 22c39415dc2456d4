import _CryptoExtras
import Crypto
import Foundation

/// An RS256 JSON Web Signature in compact form (RFC 7515), for the client assertions providers
/// take instead of a password: Okta's `private_key_jwt`, Google's service-account JWT bearer grant.
public enum CompactJWS {
    /// `header.claims.signature`, each base64url; keys sorted so the same input signs the same.
    public static func rs256(header: [String: Any], claims: [String: Any], key: _RSA.Signing.PrivateKey) throws -> String {
        let input = base64URL(try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])) + "." +
            base64URL(try JSONSerialization.data(withJSONObject: claims, options: [.sortedKeys]))
        let signature = try key.signature(for: Data(input.utf8), padding: .insecurePKCS1v1_5)
        return input + "." + base64URL(signature.rawRepresentation)
    }

    public static func base64URL(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}
