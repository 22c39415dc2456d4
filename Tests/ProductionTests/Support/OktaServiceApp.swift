import AegisAWS
import AegisCore
import AegisOkta
import AegisTestServers
import AsyncHTTPClient
import Foundation
import NIOHTTP1

/// An Okta service app at the Okta fake for the `oauth-service-app` scenarios: made "by hand"
/// with one active key under a kid (the key the store is seeded with), and the bot's admin token.
struct OktaServiceApp: Sendable {
    let okta: PythonFake
    let id: String
    let initial: OktaAppKey
    let initialKeyID: String
    let adminToken: String

    static func make(_ okta: PythonFake) async throws -> OktaServiceApp {
        let initial = try OktaAppKey.generate(kid: "hand-made-key")
        let made = try await okta.control(.POST, "/_fake/apps", ["label": "aegis-api", "jwk": initial.publicJWK()]) as? [String: Any]
        let admin = try await okta.control(.POST, "/_fake/tokens", ["name": "aegis-rotate bot", "admin": true]) as? [String: Any]
        guard let id = made?["id"] as? String, let keyID = made?["keyId"] as? String, let token = admin?["value"] as? String else {
            throw ServerError("the Okta fake did not make the service app")
        }
        return OktaServiceApp(okta: okta, id: id, initial: initial, initialKeyID: keyID, adminToken: token)
    }

    /// The Commands edit: strategy `oauth-service-app` for this app.
    var edit: [String: @Sendable (String) -> String] {
        let id = self.id
        return ["okta-api-token.yaml": {
            $0.replacingOccurrences(of: "strategy: console-token", with: "strategy: oauth-service-app")
                .replacingOccurrences(of: "0oa-service-app-id", with: id)
        }]
    }

    /// The bot's Okta settings, with the grace the test wants.
    func environment(grace: String = "2s") -> [String: String] {
        ["OKTA_ORG_URL": okta.url, "OKTA_ADMIN_TOKEN": adminToken, "AEGIS_OKTA_GRACE": grace]
    }

    /// Seeds the store with the hand-made key as the current version; returns its version ID.
    func seed(_ scenario: Scenario) async throws -> String {
        let version = SecretGenerator.versionID()
        let storage = try scenario.definition("okta-api-token").storage
        _ = try await scenario.store.createSecret(name: storage.name, versionID: version, value: initial.stored())
        return version
    }

    /// The app's keys at the fake: Okta key ID → (kid, status).
    func keys() async throws -> [String: (kid: String, status: String)] {
        let app = try await okta.control(.GET, "/_fake/apps/\(id)") as? [String: Any]
        let keys = app?["keys"] as? [[String: Any]] ?? []
        return Dictionary(uniqueKeysWithValues: keys.compactMap { key in
            (key["id"] as? String).map { ($0, (key["kid"] as? String ?? "", key["status"] as? String ?? "")) }
        })
    }

    /// The key stored under `version`.
    func storedKey(_ scenario: Scenario, _ version: String) async throws -> OktaAppKey {
        guard let value = try await scenario.store.value(secret: try scenario.definition("okta-api-token").storage, versionID: version) else {
            throw ServerError("version \(version) is not in the store")
        }
        return try OktaAppKey(stored: value, versionID: version)
    }

    /// A client-credentials token request signed by `key` succeeds.
    func accepts(_ key: OktaAppKey) async -> Bool {
        guard let client = try? OktaClient(org: OktaClient.validatedOrg(URL(string: okta.url)!), http: HTTPClient.shared, timeout: .seconds(20)) else {
            return false
        }
        return (try? await client.clientCredentialsToken(clientID: id, key: key, scope: "okta.apps.read")) != nil
    }

    /// The fake's request log as `METHOD path` lines, in order.
    func calls() async throws -> [String] {
        let log = try await okta.control(.GET, "/_fake/requests") as? [[String: Any]] ?? []
        return log.map { "\($0["method"] ?? "") \($0["path"] ?? "")" }
    }

    /// Every value that must never appear in an output: each stored version whole and its private
    /// key's PEM lines, and the bot's admin token.
    func secretValues(_ scenario: Scenario) async throws -> [String] {
        let storage = try scenario.definition("okta-api-token").storage
        var values = [adminToken]
        for version in try await scenario.store.versions(secret: storage) {
            guard let value = try await scenario.store.value(secret: storage, versionID: version.versionID)?.revealSecretString() else { continue }
            values.append(value)
            let object = try? JSONSerialization.jsonObject(with: Data(value.utf8)) as? [String: String]
            let pem = object?["private_key"] ?? ""
            values += pem.split(separator: "\n").map(String.init).filter { !$0.hasPrefix("-----") }
        }
        return values + (try await scenario.allSecretValues())
    }
}
