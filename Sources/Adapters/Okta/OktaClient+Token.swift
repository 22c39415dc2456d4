import AegisCore
import AegisProviderHTTP
import Foundation
import NIOHTTP1

/// The org authorization server's token endpoint: a client-credentials grant authenticated with a
/// `private_key_jwt` client assertion (no Authorization header).
extension OktaClient {
    /// `{org}/oauth2/v1/token`: the endpoint a client assertion's `aud` must name.
    public var tokenURL: String { ProviderHTTP(base: org, http: http, timeout: timeout).url("/oauth2/v1/token") }

    /// Asks for an access token as `clientID`, signed by `key`. Returns the granted scope; the
    /// access token itself is dropped here, so it can reach nothing else.
    public func clientCredentialsToken(clientID: String, key: OktaAppKey, scope: String) async throws(OktaError) -> String {
        let operation = "POST /oauth2/v1/token"
        let assertion: SecretValue
        do {
            assertion = try key.clientAssertion(clientID: clientID, audience: tokenURL)
        } catch {
            throw OktaError(operation: operation, status: 400, summary: "the client assertion could not be signed")
        }
        let form = [
            ("grant_type", "client_credentials"), ("scope", scope),
            ("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"),
            ("client_assertion", assertion.revealSecretString()),
        ].map { "\($0.0)=\(Self.formEncoded($0.1))" }.joined(separator: "&")
        let (status, body) = try await execute(.POST, "/oauth2/v1/token", headers: HTTPHeaders(), body: Data(form.utf8),
                                               contentType: "application/x-www-form-urlencoded", operation: operation)
        guard status == 200 else { throw OktaError(operation: operation, status: status, body: body) }
        let object = (try? JSONSerialization.jsonObject(with: body)) as? [String: Any]
        guard object?["access_token"] is String else {
            throw OktaError(operation: operation, status: status, summary: "the answer holds no access_token")
        }
        return (object?["scope"] as? String).map { String($0.prefix(200)) } ?? scope
    }

    static func formEncoded(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }
}
