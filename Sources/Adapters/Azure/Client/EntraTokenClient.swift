import AegisCore
import Foundation
import NIOHTTP1

/// How an application proves who it is at the token endpoint.
public enum EntraClientCredential: Sendable {
    /// `client_secret` (AZURE_CLIENT_SECRET, or a rotated app's new secret in the check).
    case secret(SecretValue)
    /// Workload identity: the file's content is the `client_assertion`, re-read for every token
    /// request because the platform replaces it before it expires (AZURE_FEDERATED_TOKEN_FILE).
    case federatedTokenFile(String)
}

/// The client-credentials grant at `{authority}/{tenant}/oauth2/v2.0/token` (no metadata request:
/// azure-identity's own client posts straight to the token endpoint too).
public struct EntraTokenClient: Sendable {
    public let authority: URL
    let http: AzureHTTP

    public init(authority: URL, http: AzureHTTP) {
        self.authority = authority
        self.http = http
    }

    public struct Token: Sendable {
        public var accessToken: SecretValue
        public var expiresIn: Duration
    }

    /// One token for `scope` (`https://graph.microsoft.com/.default`). A refusal is an
    /// ``AzureError`` of service `entra-id` (`isCredentialRefused` for a wrong or removed secret).
    public func token(tenant: String, clientID: String, credential: EntraClientCredential, scope: String) async throws(AzureError) -> Token {
        let operation = "token for \(clientID)"
        var form: [(String, String)] = [("grant_type", "client_credentials"), ("client_id", clientID), ("scope", scope)]
        var sent: [SecretValue] = []
        switch credential {
        case .secret(let secret):
            form.append(("client_secret", secret.revealSecretString()))
            sent.append(secret)
        case .federatedTokenFile(let path):
            guard let data = BoundedFile.contents(path) else {
                throw AzureError(service: .identity, operation: operation, status: 0, code: nil, detailCode: nil,
                                 message: "AZURE_FEDERATED_TOKEN_FILE '\(path)' cannot be read")
            }
            let assertion = SecretValue(utf8: String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
            form.append(("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"))
            form.append(("client_assertion", assertion.revealSecretString()))
            sent.append(assertion)
        }
        let body = Data(form.map { "\(Self.formEncode($0.0))=\(Self.formEncode($0.1))" }.joined(separator: "&").utf8)
        let url = authority.absoluteString.trimmingSuffix("/") + "/\(Self.pathEncode(tenant))/oauth2/v2.0/token"
        let response = try await http.send(.POST, url, headers: [("Content-Type", "application/x-www-form-urlencoded"), ("Accept", "application/json")],
                                            body: body, service: .identity, operation: operation)
        guard response.status == 200 else {
            throw AzureError(service: .identity, operation: operation, status: response.status, body: response.body, secrets: sent)
        }
        let object = (try? JSONSerialization.jsonObject(with: response.body)) as? [String: Any]
        guard let token = object?["access_token"] as? String, !token.isEmpty else {
            throw AzureError(service: .identity, operation: operation, status: 0, code: nil, detailCode: nil,
                             message: "the token response has no access_token")
        }
        let seconds = (object?["expires_in"] as? Int) ?? Int("\(object?["expires_in"] ?? "")") ?? 300
        return Token(accessToken: SecretValue(utf8: token), expiresIn: .seconds(max(0, seconds)))
    }

    /// `application/x-www-form-urlencoded`: everything but the unreserved characters escaped.
    static func formEncode(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }

    static func pathEncode(_ text: String) -> String { formEncode(text) }
}

/// The bot's own tokens, one per resource, kept until shortly before they expire (five minutes,
/// or half the lifetime of a short-lived token) so concurrent steps share one token request.
public actor EntraTokenCache {
    public let tenant: String
    public let clientID: String
    let credential: EntraClientCredential
    let client: EntraTokenClient
    private var cached: [String: (token: SecretValue, refreshAt: ContinuousClock.Instant)] = [:]

    public init(tenant: String, clientID: String, credential: EntraClientCredential, client: EntraTokenClient) {
        self.tenant = tenant
        self.clientID = clientID
        self.credential = credential
        self.client = client
    }

    /// A bearer token for `scope`; `refresh` drops the cached one first (after a 401).
    public func token(scope: String, refresh: Bool = false) async throws(AzureError) -> SecretValue {
        if !refresh, let entry = cached[scope], ContinuousClock.now < entry.refreshAt { return entry.token }
        let fresh = try await client.token(tenant: tenant, clientID: clientID, credential: credential, scope: scope)
        let early = min(Duration.seconds(300), fresh.expiresIn / 2)
        cached[scope] = (fresh.accessToken, ContinuousClock.now + fresh.expiresIn - early)
        return fresh.accessToken
    }
}

extension String {
    func trimmingSuffix(_ suffix: String) -> String {
        var text = self
        while text.hasSuffix(suffix) { text = String(text.dropLast(suffix.count)) }
        return text
    }
}
