import AegisCore
import AegisProviderHTTP
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// The OpenAI calls the key rotations make: `GET /v1/models` with a project key, and the Admin
/// API's project keys (authenticated with the admin key). `base` includes `/v1`, like the SDK's
/// `base_url`. A 429 waits for `retry-after-ms` (else `retry-after`) up to ``maxRateLimitWait``,
/// twice at most; then it is a transient failure the engine retries.
public struct OpenAIClient: Sendable {
    public static let defaultBase = URL(string: "https://api.openai.com/v1")!
    static let maxRateLimitWait: Duration = .seconds(30)

    public let base: URL
    let http: HTTPClient
    let timeout: Duration
    /// The admin key, for `/v1/organization/...`; nil when OPENAI_ADMIN_KEY is not set.
    let admin: SecretValue?

    public init(base: URL, admin: SecretValue?, http: HTTPClient, timeout: Duration) {
        self.base = base
        self.admin = admin
        self.http = http
        self.timeout = timeout
    }

    /// A base URL the bot will send keys to: https, or http to a loopback host (tests).
    public static func validatedBase(_ url: URL) throws(AdapterSetupProblem) -> URL {
        try ProviderHTTP.validatedBase(url, setting: "OPENAI_BASE_URL")
    }

    /// `GET /v1/models` with `key`: how many models the key may list (a refusal throws).
    public func models(key: SecretValue) async throws(OpenAIError) -> Int {
        let body = try await send(.GET, "/models", token: key, operation: "GET /v1/models")
        let object = (try? JSONSerialization.jsonObject(with: body)) as? [String: Any]
        return (object?["data"] as? [Any])?.count ?? 0
    }

    /// `GET /v1/organization/projects/{p}/api_keys`, every page (`after` = the last ID).
    public func projectKeys(project: String) async throws(OpenAIError) -> [OpenAIProjectKey] {
        var keys: [OpenAIProjectKey] = []
        var after: String?
        let operation = "GET /v1/organization/projects/\(project)/api_keys"
        for _ in 0..<1_000 {
            var path = "/organization/projects/\(project)/api_keys?limit=100"
            if let after { path += "&after=\(after)" }
            let body = try await send(.GET, path, token: try adminKey(operation), operation: operation)
            let object = (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] ?? [:]
            let page = (object["data"] as? [[String: Any]] ?? []).compactMap(OpenAIProjectKey.init(json:))
            keys += page
            guard object["has_more"] as? Bool == true, let last = object["last_id"] as? String ?? page.last?.id else { break }
            after = last
        }
        return keys
    }

    /// `POST /v1/organization/projects/{p}/service_accounts/{sa}/api_keys`: a new key for the
    /// service account. Its value is in this answer only.
    public func createServiceAccountKey(project: String, serviceAccount: String, name: String) async throws(OpenAIError) -> OpenAIMintedKey {
        let operation = "POST /v1/organization/projects/\(project)/service_accounts/\(serviceAccount)/api_keys"
        let payload = (try? JSONSerialization.data(withJSONObject: ["name": name])) ?? Data()
        let body = try await send(.POST, "/organization/projects/\(project)/service_accounts/\(serviceAccount)/api_keys",
                                  token: try adminKey(operation), operation: operation, body: payload)
        let object = (try? JSONSerialization.jsonObject(with: body)) as? [String: Any]
        guard let id = object?["id"] as? String, let value = object?["value"] as? String, !value.isEmpty else {
            throw OpenAIError(operation: operation, status: 502, body: Data(#"{"error":{"message":"the answer has no key id or value","type":"unexpected_answer"}}"#.utf8))
        }
        return OpenAIMintedKey(id: id, value: SecretValue(utf8: value))
    }

    /// `DELETE /v1/organization/projects/{p}/api_keys/{id}`. False when the key does not exist
    /// (404: deleted already, e.g. by a run before a crash).
    @discardableResult
    public func deleteProjectKey(project: String, keyID: String) async throws(OpenAIError) -> Bool {
        let operation = "DELETE /v1/organization/projects/\(project)/api_keys/\(keyID)"
        do throws(OpenAIError) {
            _ = try await send(.DELETE, "/organization/projects/\(project)/api_keys/\(keyID)", token: try adminKey(operation), operation: operation)
            return true
        } catch where error.isNotFound {
            return false
        }
    }

    func adminKey(_ operation: String) throws(OpenAIError) -> SecretValue {
        guard let admin else {
            throw OpenAIError(operation: operation, notConfigured: "OPENAI_ADMIN_KEY is not set")
        }
        return admin
    }

    func send(_ method: HTTPMethod, _ path: String, token: SecretValue, operation: String, body: Data? = nil) async throws(OpenAIError) -> Data {
        var headers = HTTPHeaders()
        headers.add(name: "Authorization", value: "Bearer \(token.revealSecretString())")
        let answer: (status: Int, headers: HTTPHeaders, body: Data)
        do {
            answer = try await ProviderHTTP(base: base, http: http, timeout: timeout)
                .execute(method, path, headers: headers, body: body, rateLimitWait: Self.rateLimitWait)
        } catch {
            throw OpenAIError(operation: operation, unreachable: error)
        }
        guard (200..<300).contains(answer.status) else { throw OpenAIError(operation: operation, status: answer.status, body: answer.body) }
        return answer.body
    }

    /// `retry-after-ms` (OpenAI's own, read first like the SDK), else `retry-after` seconds; at
    /// least 100 ms; nil when it asks for longer than ``maxRateLimitWait``.
    static func rateLimitWait(_ headers: HTTPHeaders) -> Duration? {
        let milliseconds: Double
        if let ms = headers.first(name: "retry-after-ms").flatMap(Double.init) {
            milliseconds = ms
        } else if let seconds = headers.first(name: "retry-after").flatMap(Double.init) {
            milliseconds = seconds * 1_000
        } else {
            milliseconds = 1_000
        }
        guard milliseconds <= Double(maxRateLimitWait.components.seconds) * 1_000 else { return nil }
        return .milliseconds(Int64(max(100, milliseconds)))
    }
}

/// A project API key as the Admin API lists it: no value, only `redacted_value`.
public struct OpenAIProjectKey: Sendable, Hashable {
    public var id: String
    public var redactedValue: String
    /// The owning service account's ID; nil for a key a person made.
    public var serviceAccountID: String?

    init?(json: [String: Any]) {
        guard let id = json["id"] as? String else { return nil }
        self.id = id
        redactedValue = json["redacted_value"] as? String ?? ""
        let owner = json["owner"] as? [String: Any]
        serviceAccountID = (owner?["service_account"] as? [String: Any])?["id"] as? String
    }

    public init(id: String, redactedValue: String, serviceAccountID: String?) {
        self.id = id
        self.redactedValue = redactedValue
        self.serviceAccountID = serviceAccountID
    }

    /// Whether `value` could be this key: `redacted_value` is "<prefix>...<suffix>", and the
    /// lengths are not documented, so it is split on "..." rather than cut at fixed lengths.
    public func matches(_ value: SecretValue) -> Bool {
        RedactedHint.matches(redactedValue, value)
    }
}

/// A key the Admin API minted: its ID and its value (returned once).
public struct OpenAIMintedKey: Sendable {
    public var id: String
    public var value: SecretValue
}

/// Matching a provider's "prefix...suffix" hint against a key value.
enum RedactedHint {
    static func matches(_ hint: String, _ value: SecretValue) -> Bool {
        guard let range = hint.range(of: "...") else { return false }
        let prefix = String(hint[..<range.lowerBound])
        let suffix = String(hint[range.upperBound...])
        let text = value.revealSecretString()
        guard !prefix.isEmpty, !suffix.isEmpty, text.count > prefix.count + suffix.count else { return false }
        return text.hasPrefix(prefix) && text.hasSuffix(suffix)
    }
}
