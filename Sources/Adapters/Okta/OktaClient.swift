import AegisCore
import AegisProviderHTTP
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// The Okta calls the rotations make: management calls authenticated with an SSWS token (this
/// file: users/me and self-revocation; `+AppKeys`: a service app's JWKS) and the org
/// authorization server's token endpoint (`+Token`).
/// A 429 waits for `X-Rate-Limit-Reset` (Okta's reset time, against its `Date`) up to
/// ``maxRateLimitWait``, twice at most; then it is a transient failure the engine retries.
public struct OktaClient: Sendable {
    public let org: URL
    let http: HTTPClient
    let timeout: Duration
    static let maxRateLimitWait: Duration = .seconds(30)

    public init(org: URL, http: HTTPClient, timeout: Duration) {
        self.org = org
        self.http = http
        self.timeout = timeout
    }

    /// An org URL the bot will send tokens to: https, or http to a loopback host (tests, a local
    /// stand-in). Anything else would put a token on the wire in clear.
    public static func validatedOrg(_ url: URL) throws(AdapterSetupProblem) -> URL {
        try ProviderHTTP.validatedBase(url, setting: "OKTA_ORG_URL")
    }

    /// `GET /api/v1/users/me`: who the token belongs to (the user's login), or the refusal.
    public func currentUser(token: SecretValue) async throws(OktaError) -> String {
        let body = try await send(.GET, "/api/v1/users/me", token: token, operation: "GET /api/v1/users/me")
        let object = (try? JSONSerialization.jsonObject(with: body)) as? [String: Any]
        let profile = object?["profile"] as? [String: Any]
        return (profile?["login"] as? String).map { String($0.prefix(120)) } ?? (object?["id"] as? String) ?? "unknown user"
    }

    /// `DELETE /api/v1/api-tokens/current`: the token revokes itself (204).
    public func revokeCurrent(token: SecretValue) async throws(OktaError) {
        _ = try await send(.DELETE, "/api/v1/api-tokens/current", token: token, operation: "DELETE /api/v1/api-tokens/current")
    }

    /// An SSWS-authenticated management call; the body of a 2xx answer, else the typed refusal.
    func send(_ method: HTTPMethod, _ path: String, token: SecretValue, json: Data? = nil,
              operation: String) async throws(OktaError) -> Data {
        var headers = HTTPHeaders()
        headers.add(name: "Authorization", value: "SSWS \(token.revealSecretString())")
        let (status, data) = try await execute(method, path, headers: headers, body: json, operation: operation)
        guard (200..<300).contains(status) else { throw OktaError(operation: operation, status: status, body: data) }
        return data
    }

    /// One call with Okta's rate-limit wait: the status and body of the answer.
    func execute(_ method: HTTPMethod, _ path: String, headers: HTTPHeaders, body: Data?,
                 contentType: String = "application/json", operation: String) async throws(OktaError) -> (status: Int, body: Data) {
        do {
            let answer = try await ProviderHTTP(base: org, http: http, timeout: timeout)
                .execute(method, path, headers: headers, body: body, contentType: contentType, rateLimitWait: Self.rateLimitWait)
            return (answer.status, answer.body)
        } catch {
            throw OktaError(operation: operation, unreachable: error)
        }
    }

    /// How long Okta asks to wait: `X-Rate-Limit-Reset` (epoch seconds) minus the response's
    /// `Date` (Okta's clock, so a skewed local clock does not matter), at least 1 s; nil when it
    /// asks for longer than ``maxRateLimitWait``.
    static func rateLimitWait(_ headers: HTTPHeaders) -> Duration? {
        guard let reset = headers.first(name: "X-Rate-Limit-Reset").flatMap(Double.init) else { return .seconds(1) }
        let now = headers.first(name: "Date").flatMap(Self.httpDate) ?? Date().timeIntervalSince1970
        let seconds = max(1, reset - now)
        guard seconds <= Double(maxRateLimitWait.seconds) else { return nil }
        return .milliseconds(Int64(seconds * 1_000))
    }

    static func httpDate(_ text: String) -> Double? {
        Timestamps.parseHTTPDate(text)?.timeIntervalSince1970
    }
}


extension Duration {
    fileprivate var seconds: Int64 { components.seconds }
}
