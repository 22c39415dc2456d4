import AegisCore
import AegisProviderHTTP
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// The Anthropic calls the key rotation makes: `GET /v1/models` with a regular key, and the
/// Admin API's API keys (list, read, set status) with the admin key. Every request carries
/// `x-api-key` and `anthropic-version: 2023-06-01` (the long-documented shape). A 429 waits for
/// `retry-after` up to ``maxRateLimitWait``, twice at most; then it is a transient failure.
public struct AnthropicClient: Sendable {
    public static let defaultBase = URL(string: "https://api.anthropic.com")!
    public static let version = "2023-06-01"
    static let maxRateLimitWait: Duration = .seconds(30)

    public let base: URL
    let http: HTTPClient
    let timeout: Duration
    /// The admin key (`sk-ant-admin…`); nil when ANTHROPIC_ADMIN_KEY is not set.
    let admin: SecretValue?

    public init(base: URL, admin: SecretValue?, http: HTTPClient, timeout: Duration) {
        self.base = base
        self.admin = admin
        self.http = http
        self.timeout = timeout
    }

    /// A base URL the bot will send keys to: https, or http to a loopback host (tests).
    public static func validatedBase(_ url: URL) throws(AdapterSetupProblem) -> URL {
        try ProviderHTTP.validatedBase(url, setting: "ANTHROPIC_BASE_URL")
    }

    /// `GET /v1/models` with `key`: how many models the first page lists (a refusal throws).
    public func models(key: SecretValue) async throws(AnthropicError) -> Int {
        let body = try await send(.GET, "/v1/models", token: key, operation: "GET /v1/models")
        let object = (try? JSONSerialization.jsonObject(with: body)) as? [String: Any]
        return (object?["data"] as? [Any])?.count ?? 0
    }

    /// `GET /v1/organizations/api_keys`, every page (`after_id` = the last ID while `has_more`).
    public func apiKeys() async throws(AnthropicError) -> [AnthropicAPIKey] {
        let operation = "GET /v1/organizations/api_keys"
        var keys: [AnthropicAPIKey] = []
        var after: String?
        for _ in 0..<1_000 {
            var path = "/v1/organizations/api_keys?limit=100"
            if let after { path += "&after_id=\(after)" }
            let body = try await send(.GET, path, token: try adminKey(operation), operation: operation)
            let object = (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] ?? [:]
            let page = (object["data"] as? [[String: Any]] ?? []).compactMap(AnthropicAPIKey.init(json:))
            keys += page
            guard object["has_more"] as? Bool == true, let last = object["last_id"] as? String ?? page.last?.id else { break }
            after = last
        }
        return keys
    }

    /// `GET /v1/organizations/api_keys/{id}`; nil when there is no such key.
    public func apiKey(id: String) async throws(AnthropicError) -> AnthropicAPIKey? {
        let operation = "GET /v1/organizations/api_keys/\(id)"
        do throws(AnthropicError) {
            let body = try await send(.GET, "/v1/organizations/api_keys/\(id)", token: try adminKey(operation), operation: operation)
            return ((try? JSONSerialization.jsonObject(with: body)) as? [String: Any]).flatMap(AnthropicAPIKey.init(json:))
        } catch where error.isNotFound {
            return nil
        }
    }

    /// `POST /v1/organizations/api_keys/{id}` `{"status": …}`: the key after the update.
    @discardableResult
    public func setStatus(id: String, _ status: AnthropicAPIKey.Status) async throws(AnthropicError) -> AnthropicAPIKey? {
        let operation = "POST /v1/organizations/api_keys/\(id) status=\(status.rawValue)"
        let payload = (try? JSONSerialization.data(withJSONObject: ["status": status.rawValue])) ?? Data()
        let body = try await send(.POST, "/v1/organizations/api_keys/\(id)", token: try adminKey(operation), operation: operation, body: payload)
        return ((try? JSONSerialization.jsonObject(with: body)) as? [String: Any]).flatMap(AnthropicAPIKey.init(json:))
    }

    func adminKey(_ operation: String) throws(AnthropicError) -> SecretValue {
        guard let admin else { throw AnthropicError(operation: operation, message: "ANTHROPIC_ADMIN_KEY is not set", status: -1) }
        return admin
    }

    func send(_ method: HTTPMethod, _ path: String, token: SecretValue, operation: String, body: Data? = nil) async throws(AnthropicError) -> Data {
        var headers = HTTPHeaders()
        headers.add(name: "x-api-key", value: token.revealSecretString())
        headers.add(name: "anthropic-version", value: Self.version)
        let answer: (status: Int, headers: HTTPHeaders, body: Data)
        do {
            answer = try await ProviderHTTP(base: base, http: http, timeout: timeout)
                .execute(method, path, headers: headers, body: body, rateLimitWait: Self.rateLimitWait)
        } catch {
            throw AnthropicError(operation: operation, unreachable: error)
        }
        guard (200..<300).contains(answer.status) else { throw AnthropicError(operation: operation, status: answer.status, body: answer.body) }
        return answer.body
    }

    /// `retry-after` seconds (1 s when absent); nil when it asks for longer than ``maxRateLimitWait``.
    static func rateLimitWait(_ headers: HTTPHeaders) -> Duration? {
        let seconds = headers.first(name: "retry-after").flatMap(Double.init) ?? 1
        guard seconds <= Double(maxRateLimitWait.components.seconds) else { return nil }
        return .milliseconds(Int64(max(0.1, seconds) * 1_000))
    }
}

/// An API key as the Admin API describes it: never its value, only `partial_key_hint`.
public struct AnthropicAPIKey: Sendable, Hashable {
    public enum Status: String, Sendable {
        case active, inactive, archived, expired
    }

    public var id: String
    public var name: String
    public var status: Status?
    public var partialKeyHint: String

    init?(json: [String: Any]) {
        guard let id = json["id"] as? String else { return nil }
        self.id = id
        name = json["name"] as? String ?? ""
        status = (json["status"] as? String).flatMap(Status.init(rawValue:))
        partialKeyHint = json["partial_key_hint"] as? String ?? ""
    }

    /// Whether `value` could be this key: the hint is "<prefix>...<suffix>" (lengths undocumented).
    public func matches(_ value: SecretValue) -> Bool {
        guard let range = partialKeyHint.range(of: "...") else { return false }
        let prefix = String(partialKeyHint[..<range.lowerBound])
        let suffix = String(partialKeyHint[range.upperBound...])
        let text = value.revealSecretString()
        guard !prefix.isEmpty, !suffix.isEmpty, text.count > prefix.count + suffix.count else { return false }
        return text.hasPrefix(prefix) && text.hasSuffix(suffix)
    }
}
