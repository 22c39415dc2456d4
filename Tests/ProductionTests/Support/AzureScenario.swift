@testable import AegisAzure
import AegisCore
import AegisTestServers
import Foundation

/// The Entra ID + Key Vault side of a production scenario: the Azure fake (token endpoint, Graph,
/// Key Vault over TLS with its throwaway CA), the bot's own admin app, and the rotated app
/// `aegis-api` whose one client secret is seeded by hand (untagged) in the vault, as an operator
/// would have stored it before the bot's first rotation. The Commands file is edited to name the
/// fake's application IDs.
struct AzureScenario: Sendable {
    let azure: AzureFake
    let bot: AzureFake.App
    let app: AzureFake.App
    let tenant: String
    /// The test's own clients (shut down by ``with(_:)``).
    let clients: Clients
    static let secretName = "entra-client-secret"

    static func start() async throws -> AzureScenario {
        let azure = try await AzureFake.start()
        do {
            let bot = try await azure.makeApp("aegis-rotate", admin: true)
            let app = try await azure.makeApp("aegis-api", admin: false)
            let tenant = try await azure.tenant
            let scenario = AzureScenario(azure: azure, bot: bot, app: app, tenant: tenant,
                                         clients: try Clients(azure: azure, tenant: tenant, bot: bot))
            _ = try await scenario.clients.vault.set(name: secretName, value: SecretValue(utf8: app.secret), tags: [:])
            return scenario
        } catch {
            await azure.stop()
            throw error
        }
    }

    /// Runs `body` with a production scenario whose Commands file names this fake's application.
    static func with(_ body: @Sendable (Scenario, AzureScenario) async throws -> Void) async throws {
        let azure = try await start()
        do {
            let edit: CommandsEdits.Edit = ["entra-client-secret.yaml": { text in
                text.replacingOccurrences(of: "5b0f3c7e-2a41-4d6b-9e8f-0c1a2b3c4d5e", with: azure.app.objectID)
                    .replacingOccurrences(of: "9d2e4f60-7b13-4c8a-a5d9-3e6f7a8b9c0d", with: azure.app.clientID)
            }]
            try await Scenario.with(edit: edit) { scenario in try await body(scenario, azure) }
            await azure.stop()
        } catch {
            await azure.stop()
            throw error
        }
    }

    func stop() async {
        try? await clients.http.shutdown()
        await azure.stop()
    }

    /// The settings `aegis-rotate` needs for Entra ID and Key Vault at the fake.
    func environment(grace: String = "2s") -> [String: String] {
        [
            "AZURE_TENANT_ID": tenant, "AZURE_CLIENT_ID": bot.clientID, "AZURE_CLIENT_SECRET": bot.secret,
            "AZURE_AUTHORITY_HOST": azure.url, "MICROSOFT_GRAPH_URL": azure.url, "AZURE_KEYVAULT_URL": azure.url,
            "AZURE_CA_BUNDLE": azure.caBundle, "AEGIS_ENTRA_GRACE": grace,
        ]
    }

    /// The test's own view of the vault, as the bot's admin app (the same store code the bot runs).
    struct Clients: Sendable {
        var http: AzureHTTP
        var tokenClient: EntraTokenClient
        var vault: KeyVaultSecrets
        var store: AzureKeyVaultStore

        init(azure: AzureFake, tenant: String, bot: AzureFake.App) throws {
            let pem = try Array(Data(contentsOf: URL(fileURLWithPath: azure.caBundle)))
            http = try AzureHTTP(caBundlePEM: pem, timeout: .seconds(20))
            let base = URL(string: azure.url)!
            tokenClient = EntraTokenClient(authority: base, http: http)
            let tokens = EntraTokenCache(tenant: tenant, clientID: bot.clientID, credential: .secret(SecretValue(utf8: bot.secret)), client: tokenClient)
            vault = KeyVaultSecrets(vault: base, http: http, tokens: tokens)
            store = AzureKeyVaultStore(override: base, http: http, tokens: tokens)
        }
    }

    static let location = StorageLocation(kind: .azureKeyVault, name: secretName, container: "aegis-kv")

    /// The value of the version at `stage`, and Key Vault's "latest" (what an app reads).
    func values() async throws -> (current: String?, previous: String?, latest: String?) {
        let c = clients
        let versions = try await c.store.versions(secret: Self.location)
        func value(_ stage: SecretStage) async throws -> String? {
            guard let id = versions.first(where: { $0.stages.contains(stage) })?.versionID else { return nil }
            return try await c.store.value(secret: Self.location, versionID: id)?.revealSecretString()
        }
        let latest = try await c.vault.get(name: Self.secretName, version: nil)?.value.revealSecretString()
        return (try await value(.current), try await value(.previous), latest)
    }

    /// The rotated app's password keyIds, and the keyIds the vault's enabled versions are tagged
    /// with (the hand-made seed counts as the app's first keyId).
    func keyIDs() async throws -> (app: Set<String>, stored: Set<String>) {
        let app = Set(try await azure.keyIDs(app.objectID))
        var stored: Set<String> = []
        for version in try await azure.vault(Self.secretName) where version["enabled"] as? Bool == true {
            stored.insert((version["tags"] as? [String: String])?["aegis-key-id"] ?? self.app.keyID.lowercased())
        }
        return (app, stored)
    }

    /// Whether the token endpoint gives the rotated app a token with `secret`.
    func tokenEndpointAccepts(_ secret: String) async throws -> Bool {
        let c = clients
        do {
            _ = try await c.tokenClient.token(tenant: tenant, clientID: app.clientID, credential: .secret(SecretValue(utf8: secret)),
                                              scope: "https://graph.microsoft.com/.default")
            return true
        } catch where error.isCredentialRefused {
            return false
        }
    }

    /// Every value of every version in the vault, and the bot's own secret, for leak scans.
    func secretValues() async throws -> [String] {
        var values = [bot.secret, app.secret]
        for version in try await azure.vault(Self.secretName) {
            if let value = version["value"] as? String { values.append(value) }
        }
        return Array(Set(values))
    }
}
