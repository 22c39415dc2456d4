@testable import AegisAzure
import AegisCore
import AegisTestServers
import Foundation
import NIOHTTP1
import Testing

/// The Entra ID token client, Graph application passwords and Key Vault secrets against the Azure
/// fake (itself proven by azure-identity, azure-keyvault-secrets and msgraph-sdk), over TLS that
/// trusts only the fake's throwaway CA.
@Suite("Azure: tokens, Graph passwords, Key Vault secrets, errors, 429", .timeLimit(.minutes(3)))
struct AzureClientTests {
    /// The bot's clients at the fake, signed in as a freshly made admin app.
    struct Clients: Sendable {
        var http: AzureHTTP
        var tokenClient: EntraTokenClient
        var tokens: EntraTokenCache
        var graph: GraphApplications
        var vault: KeyVaultSecrets
        var store: AzureKeyVaultStore
        var admin: AzureFake.App
        var tenant: String
    }

    static func clients(_ azure: AzureFake) async throws -> Clients {
        let admin = try await azure.makeApp("aegis-rotate", admin: true)
        let tenant = try await azure.tenant
        let pem = try Array(Data(contentsOf: URL(fileURLWithPath: azure.caBundle)))
        let http = try AzureHTTP(caBundlePEM: pem, timeout: .seconds(20))
        let base = URL(string: azure.url)!
        let tokenClient = EntraTokenClient(authority: base, http: http)
        let tokens = EntraTokenCache(tenant: tenant, clientID: admin.clientID, credential: .secret(SecretValue(utf8: admin.secret)), client: tokenClient)
        return Clients(http: http, tokenClient: tokenClient, tokens: tokens,
                       graph: GraphApplications(graph: base, http: http, tokens: tokens),
                       vault: KeyVaultSecrets(vault: base, http: http, tokens: tokens),
                       store: AzureKeyVaultStore(override: base, http: http, tokens: tokens),
                       admin: admin, tenant: tenant)
    }

    static func with(_ body: @Sendable (AzureFake, Clients) async throws -> Void) async throws {
        try await AzureFake.with { azure in
            let clients = try await clients(azure)
            do {
                try await body(azure, clients)
                try? await clients.http.shutdown()
            } catch {
                try? await clients.http.shutdown()
                throw error
            }
        }
    }

    static let graphScope = "https://graph.microsoft.com/.default"

    @Test("client secret: a token for Graph and for Key Vault; a wrong secret is AADSTS7000215 and never quoted")
    func secretTokens() async throws {
        try await Self.with { azure, c in
            _ = try await c.tokens.token(scope: Self.graphScope)
            _ = try await c.tokens.token(scope: KeyVaultSecrets.scope)
            _ = try await c.tokens.token(scope: Self.graphScope)
            let tokenPosts = try await azure.requests().filter { ($0["path"] as? String)?.hasSuffix("/oauth2/v2.0/token") == true }
            #expect(tokenPosts.count == 2, "the cached Graph token is reused")
            #expect(tokenPosts.allSatisfy { $0["client_auth"] as? String == "secret" && $0["status"] as? Int == 200 })

            let wrong = SecretValue(utf8: "Wr0ng8Q~" + String(repeating: "z", count: 32))
            await #expect {
                _ = try await c.tokenClient.token(tenant: c.tenant, clientID: c.admin.clientID, credential: .secret(wrong), scope: Self.graphScope)
            } throws: { error in
                let azure = try #require(error as? AzureError)
                return azure.isCredentialRefused && azure.detailCode == "AADSTS7000215" && !azure.isTransient && azure.status == 401
                    && !azure.description.contains(wrong.revealSecretString()) && !azure.description.contains("Trace ID")
            }
            await #expect {
                _ = try await c.tokenClient.token(tenant: c.tenant, clientID: UUID().uuidString, credential: .secret(wrong), scope: Self.graphScope)
            } throws: { error in (error as? AzureError)?.detailCode == "AADSTS700016" }
        }
    }

    @Test("workload identity: the federated token file is the client assertion, re-read for every token request")
    func federatedTokens() async throws {
        try await Self.with { azure, c in
            let app = try await azure.makeApp("aegis-federated", admin: true)
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("aegis-federated-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: file) }
            try await azure.control(.POST, "/_fake/federated", ["appId": app.clientID, "assertion": "first-projected-token"])
            try await azure.control(.POST, "/_fake/federated", ["appId": app.clientID, "assertion": "second-projected-token"])
            try Data("first-projected-token\n".utf8).write(to: file)
            let tokens = EntraTokenCache(tenant: c.tenant, clientID: app.clientID, credential: .federatedTokenFile(file.path), client: c.tokenClient)
            _ = try await tokens.token(scope: Self.graphScope)
            try Data("second-projected-token".utf8).write(to: file)
            _ = try await tokens.token(scope: KeyVaultSecrets.scope)
            try Data("unregistered-token".utf8).write(to: file)
            await #expect {
                _ = try await tokens.token(scope: Self.graphScope, refresh: true)
            } throws: { error in
                let azure = try #require(error as? AzureError)
                return azure.service == .identity && !azure.description.contains("unregistered-token")
            }
            let posts = try await azure.requests().filter { ($0["path"] as? String)?.hasSuffix("/oauth2/v2.0/token") == true }
            #expect(posts.map { $0["status"] as? Int } == [200, 200, 400], "each token request read the file again")
            #expect(posts.prefix(2).allSatisfy { $0["client_auth"] as? String == "assertion" })
        }
    }

    @Test("Key Vault: PUT makes versions, GET latest and by version, versions follow nextLink, PATCH re-tags and disables")
    func keyVault() async throws {
        try await Self.with { azure, c in
            var made: [String] = []
            for index in 1...5 {
                made.append(try await c.vault.set(name: "paged", value: SecretValue(utf8: "value-\(index)"), tags: ["n": "\(index)"]).version)
            }
            let versions = try await c.vault.versions(name: "paged")
            #expect(Set(versions.map(\.version)) == Set(made), "all five versions across three pages of two")
            #expect(versions.first { $0.version == made[2] }?.tags == ["n": "3"])
            let latest = try #require(try await c.vault.get(name: "paged", version: nil))
            #expect(latest.version.version == made[4] && latest.value.revealSecretString() == "value-5")
            #expect(try await c.vault.get(name: "paged", version: made[1])?.value.revealSecretString() == "value-2")
            #expect(try await c.vault.get(name: "missing", version: nil) == nil)
            #expect(try await c.vault.versions(name: "missing").isEmpty)

            let patched = try await c.vault.update(name: "paged", version: made[1], tags: ["n": "two"], enabled: false)
            #expect(patched.tags == ["n": "two"] && !patched.enabled)
            await #expect {
                _ = try await c.vault.get(name: "paged", version: made[1])
            } throws: { error in
                let azure = try #require(error as? AzureError)
                return azure.status == 403 && azure.detailCode == "SecretDisabled" && !azure.isTransient
            }
            await #expect {
                _ = try await c.vault.set(name: "bad_name", value: SecretValue(utf8: "never-quoted-value"), tags: [:])
            } throws: { error in
                let azure = try #require(error as? AzureError)
                return azure.status == 400 && azure.code == "BadParameter" && !azure.description.contains("never-quoted-value")
            }
            let pages = try await azure.requests().filter { ($0["path"] as? String) == "/secrets/paged/versions" }
            #expect(pages.count >= 3, "nextLink was followed")
            #expect(try await azure.requests().allSatisfy { ($0["path"] as? String)?.hasPrefix("/secrets") != true || $0["auth"] as? String == "bearer" },
                    "the bearer token goes with the first request")
        }
    }

    @Test("Graph: addPassword returns the secret once, the app signs in with it, removePassword makes it refused")
    func graphPasswords() async throws {
        try await Self.with { azure, c in
            let app = try await azure.makeApp("aegis-api", admin: false)
            let added = try await c.graph.addPassword(application: app.objectID, displayName: "aegis test", endDateTime: Date().addingTimeInterval(86_400))
            let listed = try await c.graph.passwordCredentials(application: app.objectID)
            #expect(Set(listed.map(\.keyID)) == Set([app.keyID.lowercased(), added.keyID]))
            #expect(listed.first { $0.keyID == added.keyID }?.displayName == "aegis test")
            #expect(listed.first { $0.keyID == added.keyID }?.hint == String(added.secretText.revealSecretString().prefix(3)))
            _ = try await c.tokenClient.token(tenant: c.tenant, clientID: app.clientID, credential: .secret(added.secretText), scope: Self.graphScope)

            #expect(try await c.graph.removePasswordIfPresent(application: app.objectID, keyID: added.keyID))
            #expect(try await !c.graph.removePasswordIfPresent(application: app.objectID, keyID: added.keyID), "already gone")
            #expect(try await azure.keyIDs(app.objectID) == [app.keyID.lowercased()])
            await #expect {
                _ = try await c.tokenClient.token(tenant: c.tenant, clientID: app.clientID, credential: .secret(added.secretText), scope: Self.graphScope)
            } throws: { error in
                let azure = try #require(error as? AzureError)
                return azure.detailCode == "AADSTS7000215" && !azure.description.contains(added.secretText.revealSecretString())
            }
            _ = try await c.tokenClient.token(tenant: c.tenant, clientID: app.clientID, credential: .secret(SecretValue(utf8: app.secret)), scope: Self.graphScope)
        }
    }

    @Test("Graph errors read {error:{code,message}}; a non-admin bot is refused with Authorization_RequestDenied")
    func graphErrors() async throws {
        try await Self.with { azure, c in
            await #expect {
                _ = try await c.graph.passwordCredentials(application: UUID().uuidString.lowercased())
            } throws: { error in
                let azure = try #require(error as? AzureError)
                return azure.service == .graph && azure.isNotFound && azure.code == "Request_ResourceNotFound"
            }
            let plain = try await azure.makeApp("not-admin", admin: false)
            let weak = EntraTokenCache(tenant: c.tenant, clientID: plain.clientID, credential: .secret(SecretValue(utf8: plain.secret)), client: c.tokenClient)
            let graph = GraphApplications(graph: URL(string: azure.url)!, http: c.http, tokens: weak)
            await #expect {
                _ = try await graph.addPassword(application: plain.objectID, displayName: "x", endDateTime: Date().addingTimeInterval(3_600))
            } throws: { error in
                let azure = try #require(error as? AzureError)
                return azure.status == 403 && azure.code == "Authorization_RequestDenied" && !azure.adapterError.isTransient
                    && !azure.description.contains(plain.secret)
            }
        }
    }

    @Test("a 429 waits for Retry-After and succeeds; a 503 is a transient failure")
    func rateLimits() async throws {
        try await Self.with { azure, c in
            _ = try await c.vault.set(name: "throttled", value: SecretValue(utf8: "v"), tags: [:])
            try await azure.fail(method: "GET", pathPrefix: "/secrets/throttled", status: 429, retryAfter: 1)
            let started = ContinuousClock.now
            #expect(try await c.vault.get(name: "throttled", version: nil) != nil)
            #expect(ContinuousClock.now - started >= .milliseconds(900), "the retry waited for Retry-After")

            try await azure.fail(method: "POST", pathPrefix: "/v1.0/applications", status: 429, retryAfter: 120)
            await #expect {
                _ = try await c.graph.addPassword(application: c.admin.objectID, displayName: "x", endDateTime: Date().addingTimeInterval(3_600))
            } throws: { error in
                let azure = try #require(error as? AzureError)
                return azure.status == 429 && azure.isTransient
            }
            try await azure.fail(method: "*", pathPrefix: "/secrets/throttled", status: 503)
            await #expect {
                _ = try await c.vault.get(name: "throttled", version: nil)
            } throws: { error in
                let azure = try #require(error as? AzureError)
                return azure.status == 503 && azure.adapterError.isTransient && azure.code == "ServiceUnavailable"
            }
            #expect(!azure.log.contains(c.admin.secret))
        }
    }

    @Test("provider sentences are scrubbed of credential-shaped words but keep GUIDs")
    func scrubbing() {
        let secret = SecretValue(utf8: "Abc8Q~0123456789abcdefghijABCDEFGHIJ.-_x")
        let text = AzureError.scrub("Invalid client secret Abc8Q~0123456789abcdefghijABCDEFGHIJ.-_x for app 8f4e6a2c-1b3d-4e5f-9a7b-0c1d2e3f4a5b; token eyJhbGciOiJIUzI1NiJ9.eyJhdWQiOiJ4In0.sig", secrets: [secret])
        #expect(!text.contains("Abc8Q~") && !text.contains("eyJhbGci"))
        #expect(text.contains("8f4e6a2c-1b3d-4e5f-9a7b-0c1d2e3f4a5b") && text.contains("Invalid client secret"))
    }
}
