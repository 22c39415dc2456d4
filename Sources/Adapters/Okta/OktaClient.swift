import AegisCore
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
        let scheme = url.scheme?.lowercased()
        let loopback = ["127.0.0.1", "localhost", "::1"].contains(url.host ?? "")
        guard scheme == "https" || (scheme == "http" && loopback) else {
            throw AdapterSetupProblem("OKTA_ORG_URL must be https (http only for a loopback host)")
        }
        return url
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
        if json != nil { headers.add(name: "Content-Type", value: "application/json") }
        let (status, data) = try await execute(method, path, headers: headers, body: json, operation: operation)
        guard (200..<300).contains(status) else { throw OktaError(operation: operation, status: status, body: data) }
        return data
    }

    /// One call with the rate-limit wait: the status and body of the answer that was not a 429
    /// Okta let us wait out. Headers may carry credentials, so callers build them and nothing here
    /// logs them.
    func execute(_ method: HTTPMethod, _ path: String, headers: HTTPHeaders, body: Data?,
                 operation: String) async throws(OktaError) -> (status: Int, body: Data) {
        var waited = 0
        while true {
            var request = HTTPClientRequest(url: org.absoluteString.trimmingSuffix("/") + path)
            request.method = method
            request.headers = headers
            request.headers.add(name: "Accept", value: "application/json")
            if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
            let response: HTTPClientResponse
            let collected: ByteBuffer
            do {
                response = try await http.execute(request, timeout: .nanoseconds(Int64(timeout.nanoseconds)))
                collected = try await response.body.collect(upTo: 1 << 20)
            } catch {
                throw OktaError(operation: operation, unreachable: error)
            }
            let data = Data(collected.readableBytesView)
            let status = Int(response.status.code)
            if status == 429, waited < 2, let wait = Self.rateLimitWait(response.headers) {
                waited += 1
                do { try await Task.sleep(for: wait) } catch { throw OktaError(operation: operation, status: status, body: data) }
                continue
            }
            return (status, data)
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
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        return formatter.date(from: text)?.timeIntervalSince1970
    }
}

extension String {
    func trimmingSuffix(_ suffix: String) -> String {
        hasSuffix(suffix) ? String(dropLast(suffix.count)) : self
    }
}

extension Duration {
    fileprivate var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }

    fileprivate var seconds: Int64 { components.seconds }
}
