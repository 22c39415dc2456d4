import AegisCore
import Foundation
import NIOHTTP1

/// One Key Vault secret version without its value (a list item or a PATCH answer).
public struct KeyVaultVersion: Sendable, Hashable {
    /// The 32-hex version segment of the `id`.
    public var version: String
    public var enabled: Bool
    /// `attributes.created`, Unix seconds.
    public var created: Date?
    public var updated: Date?
    public var tags: [String: String]
    public var contentType: String?
}

/// The Key Vault secrets REST API (`api-version` 7.4) of one vault, with the bot's Key Vault
/// token sent on the first request (the vault's 401 challenge is only needed by clients that do
/// not know the tenant; a 401 fetches a fresh token once).
public struct KeyVaultSecrets: Sendable {
    public static let apiVersion = "7.4"
    public static let scope = "https://vault.azure.net/.default"
    public let vault: URL
    let http: AzureHTTP
    let tokens: EntraTokenCache

    public init(vault: URL, http: AzureHTTP, tokens: EntraTokenCache) {
        self.vault = vault
        self.http = http
        self.tokens = tokens
    }

    /// `PUT /secrets/{name}`: a new version (always; Key Vault has no idempotency key).
    public func set(name: String, value: SecretValue, tags: [String: String], contentType: String? = nil) async throws(AzureError) -> KeyVaultVersion {
        var body: [String: Any] = ["value": value.revealSecretString(), "tags": tags]
        if let contentType { body["contentType"] = contentType }
        let data = try await call(.PUT, "/secrets/\(name)", body: try? JSONSerialization.data(withJSONObject: body),
                                  operation: "PUT /secrets/\(name)", secrets: [value])
        return try Self.version(data, operation: "PUT /secrets/\(name)")
    }

    /// `GET /secrets/{name}/{version}` (or the latest with `version` nil): the value and its version.
    /// Nil when the secret or version does not exist.
    public func get(name: String, version: String?) async throws(AzureError) -> (version: KeyVaultVersion, value: SecretValue)? {
        let path = "/secrets/\(name)/\(version ?? "")"
        let data: Data
        do {
            data = try await call(.GET, path, body: nil, operation: "GET \(path)")
        } catch let error where error.isNotFound {
            return nil
        }
        let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
        guard let value = object?["value"] as? String else {
            throw AzureError(service: .keyVault, operation: "GET \(path)", status: 0, code: nil, detailCode: nil, message: "the answer has no value")
        }
        return (try Self.version(data, operation: "GET \(path)"), SecretValue(utf8: value))
    }

    /// `GET /secrets/{name}/versions`, every page (following `nextLink`), in the vault's order.
    public func versions(name: String) async throws(AzureError) -> [KeyVaultVersion] {
        var result: [KeyVaultVersion] = []
        var next: String? = url("/secrets/\(name)/versions")
        var pages = 0
        while let page = next {
            pages += 1
            guard pages <= 200 else {
                throw AzureError(service: .keyVault, operation: "GET /secrets/\(name)/versions", status: 0, code: nil, detailCode: nil,
                                 message: "more than 200 pages of versions")
            }
            guard page.hasPrefix(vault.absoluteString.trimmingSuffix("/") + "/") else {
                throw AzureError(service: .keyVault, operation: "GET /secrets/\(name)/versions", status: 0, code: nil, detailCode: nil,
                                 message: "nextLink points outside the vault")
            }
            let data = try await send(.GET, page, body: nil, operation: "GET /secrets/\(name)/versions", secrets: [])
            let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
            for item in object?["value"] as? [[String: Any]] ?? [] {
                if let version = Self.version(item) { result.append(version) }
            }
            next = object?["nextLink"] as? String
        }
        return result
    }

    /// `PATCH /secrets/{name}/{version}`: replaces the tags (the whole set) and/or `enabled`.
    @discardableResult
    public func update(name: String, version: String, tags: [String: String]?, enabled: Bool? = nil) async throws(AzureError) -> KeyVaultVersion {
        var body: [String: Any] = [:]
        if let tags { body["tags"] = tags }
        if let enabled { body["attributes"] = ["enabled": enabled] }
        let path = "/secrets/\(name)/\(version)"
        let data = try await call(.PATCH, path, body: try? JSONSerialization.data(withJSONObject: body), operation: "PATCH \(path)", secrets: [])
        return try Self.version(data, operation: "PATCH \(path)")
    }

    func url(_ path: String, query: String? = nil) -> String {
        vault.absoluteString.trimmingSuffix("/") + path + "?api-version=\(Self.apiVersion)" + (query.map { "&\($0)" } ?? "")
    }

    func call(_ method: HTTPMethod, _ path: String, body: Data?, operation: String, secrets: [SecretValue] = []) async throws(AzureError) -> Data {
        try await send(method, url(path), body: body, operation: operation, secrets: secrets)
    }

    func send(_ method: HTTPMethod, _ url: String, body: Data?, operation: String, secrets: [SecretValue]) async throws(AzureError) -> Data {
        var refreshed = false
        while true {
            let token = try await tokens.token(scope: Self.scope, refresh: refreshed)
            var headers = [("Authorization", "Bearer \(token.revealSecretString())"), ("Accept", "application/json")]
            if body != nil { headers.append(("Content-Type", "application/json")) }
            let response = try await http.send(method, url, headers: headers, body: body, service: .keyVault, operation: operation)
            if (200..<300).contains(response.status) { return response.body }
            if response.status == 401, !refreshed {
                refreshed = true
                continue
            }
            throw AzureError(service: .keyVault, operation: operation, status: response.status, body: response.body, secrets: secrets + [token])
        }
    }

    static func version(_ data: Data, operation: String) throws(AzureError) -> KeyVaultVersion {
        guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any], let version = version(object) else {
            throw AzureError(service: .keyVault, operation: operation, status: 0, code: nil, detailCode: nil, message: "the answer has no secret id")
        }
        return version
    }

    /// Reads `id` (`…/secrets/{name}/{version}`), `attributes`, `tags` and `contentType`.
    static func version(_ object: [String: Any]) -> KeyVaultVersion? {
        guard let id = object["id"] as? String, let last = id.split(separator: "/").last, id.contains("/secrets/") else { return nil }
        let attributes = object["attributes"] as? [String: Any] ?? [:]
        func date(_ key: String) -> Date? {
            switch attributes[key] {
            case let seconds as Int: Date(timeIntervalSince1970: Double(seconds))
            case let seconds as Double: Date(timeIntervalSince1970: seconds)
            default: nil
            }
        }
        return KeyVaultVersion(version: String(last), enabled: (attributes["enabled"] as? Bool) ?? true,
                               created: date("created"), updated: date("updated"),
                               tags: object["tags"] as? [String: String] ?? [:], contentType: object["contentType"] as? String)
    }
}
