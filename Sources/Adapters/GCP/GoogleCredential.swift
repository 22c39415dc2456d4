import _CryptoExtras
import AegisCore
import AegisProviderHTTP
import Foundation

/// How the bot proves who it is to Google, in the order Application Default Credentials uses:
/// a service-account key file (`GOOGLE_APPLICATION_CREDENTIALS`: a JWT signed with its key,
/// exchanged at its `token_uri`), an access token given as is (`GOOGLE_OAUTH_ACCESS_TOKEN`), or
/// the GKE/GCE metadata server (`GCE_METADATA_HOST`).
enum GoogleCredential: Sendable {
    case serviceAccount(ServiceAccountKey)
    case accessToken(SecretValue)
    case metadata(host: String)
}

/// A service-account JSON key file, as the console downloads it. The private key stays in the
/// `_RSA` key object; nothing here is ever logged.
struct ServiceAccountKey: Sendable {
    static let scope = "https://www.googleapis.com/auth/cloud-platform"
    /// What google-auth puts in `aud`, whatever the key file's `token_uri` says.
    static let googleTokenAudience = "https://oauth2.googleapis.com/token"

    let clientEmail: String
    let keyID: String
    let tokenURI: URL
    let privateKey: _RSA.Signing.PrivateKey

    init(json data: Data, path: String) throws(AdapterSetupProblem) {
        guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw AdapterSetupProblem("GOOGLE_APPLICATION_CREDENTIALS names '\(path)', which is not JSON")
        }
        guard object["type"] as? String == "service_account" else {
            throw AdapterSetupProblem("GOOGLE_APPLICATION_CREDENTIALS names '\(path)', which is not a service-account key (type \(object["type"] as? String ?? "missing"))")
        }
        guard let email = object["client_email"] as? String, let keyID = object["private_key_id"] as? String,
              let pem = object["private_key"] as? String else {
            throw AdapterSetupProblem("GOOGLE_APPLICATION_CREDENTIALS names '\(path)', which lacks client_email, private_key_id or private_key")
        }
        guard let key = try? _RSA.Signing.PrivateKey(pemRepresentation: pem) else {
            throw AdapterSetupProblem("GOOGLE_APPLICATION_CREDENTIALS names '\(path)', whose private_key is not an RSA key")
        }
        let uri = URL(string: object["token_uri"] as? String ?? Self.googleTokenAudience)
        guard let uri else { throw AdapterSetupProblem("the key file's token_uri is not a URL") }
        clientEmail = email
        self.keyID = keyID
        tokenURI = try ProviderHTTP.validatedBase(uri, setting: "the key file's token_uri")
        privateKey = key
    }

    /// The JWT bearer grant's assertion (RFC 7523): valid for an hour, as Google allows at most.
    func assertion(now: Date) throws -> String {
        let issued = Int(now.timeIntervalSince1970)
        return try CompactJWS.rs256(
            header: ["alg": "RS256", "typ": "JWT", "kid": keyID],
            claims: ["iss": clientEmail, "scope": Self.scope, "aud": Self.googleTokenAudience, "iat": issued, "exp": issued + 3_600],
            key: privateKey)
    }
}
