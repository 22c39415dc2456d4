import AegisCore
import AegisOkta
import AegisTestServers
import AsyncHTTPClient
import Foundation
import NIOHTTP1
import Testing

/// The service-app calls (app JWKS lifecycle, client-credentials token requests signed with a
/// client assertion) against the Okta fake, authenticated by a super admin's SSWS token.
@Suite("Okta: service app JWKS and client-credentials token requests", .timeLimit(.minutes(3)))
struct OktaAppClientTests {
    struct App {
        var id: String
        var initial: OktaAppKey
        var initialKeyID: String
        var admin: SecretValue
    }

    /// A service app made "by hand" with one active key under a kid, and an admin token.
    static func app(_ fake: PythonFake) async throws -> App {
        let initial = try OktaAppKey.generate(kid: "initial-key")
        let made = try #require(try await fake.control(.POST, "/_fake/apps", ["label": "aegis-api", "jwk": initial.publicJWK()]) as? [String: Any])
        let admin = try #require(try await fake.control(.POST, "/_fake/tokens", ["name": "aegis-bot", "admin": true]) as? [String: Any])
        return App(id: try #require(made["id"] as? String), initial: initial, initialKeyID: try #require(made["keyId"] as? String),
                   admin: SecretValue(utf8: try #require(admin["value"] as? String)))
    }

    @Test("add a JWK inactive, activate it, both keys sign; deactivate + delete retires one; the retired key is refused")
    func jwksLifecycle() async throws {
        try await PythonFake.with("okta") { fake in
            let okta = try OktaClientTests.client(fake)
            let app = try await Self.app(fake)
            let listed = try await okta.listJWKS(app: app.id, admin: app.admin)
            #expect(listed.map(\.kid) == ["initial-key"] && listed.first?.id == app.initialKeyID && listed.first?.status == .active)
            #expect(listed.first?.modulus == app.initial.modulus)

            let new = try OktaAppKey.generate(kid: "rotated-key")
            let added = try await okta.addJWK(app: app.id, publicJWK: new.publicJWK(status: .inactive), admin: app.admin)
            #expect(added.status == .inactive && added.kid == "rotated-key" && added.id.hasPrefix("pks"))
            await #expect(throws: OktaError.self) {
                _ = try await okta.clientCredentialsToken(clientID: app.id, key: new, scope: "okta.apps.read")
            }
            #expect(try await okta.setJWK(app: app.id, id: added.id, active: true, admin: app.admin).status == .active)
            #expect(try await okta.clientCredentialsToken(clientID: app.id, key: new, scope: "okta.apps.read") == "okta.apps.read")
            #expect(try await okta.clientCredentialsToken(clientID: app.id, key: app.initial, scope: "okta.apps.read") == "okta.apps.read")

            #expect(try await okta.retireJWK(app: app.id, id: app.initialKeyID, admin: app.admin))
            #expect(try await okta.retireJWK(app: app.id, id: app.initialKeyID, admin: app.admin) == false, "a second retirement finds it gone")
            #expect(try await okta.listJWKS(app: app.id, admin: app.admin).map(\.id) == [added.id])
            await #expect {
                _ = try await okta.clientCredentialsToken(clientID: app.id, key: app.initial, scope: "okta.apps.read")
            } throws: { error in
                let okta = try #require(error as? OktaError)
                return okta.status == 401 && okta.code == "invalid_client" && okta.summary?.contains("kid is invalid") == true && !okta.isTransient
            }
            #expect(try await okta.clientCredentialsToken(clientID: app.id, key: new, scope: "okta.apps.read") == "okta.apps.read")
            let log = fake.log
            #expect(!log.contains(app.admin.revealSecretString()))
        }
    }

    @Test("Okta's refusals are typed: the only active key cannot be deactivated, an active key cannot be deleted, E0000007 for a missing key")
    func refusals() async throws {
        try await PythonFake.with("okta") { fake in
            let okta = try OktaClientTests.client(fake)
            let app = try await Self.app(fake)
            await #expect {
                _ = try await okta.setJWK(app: app.id, id: app.initialKeyID, active: false, admin: app.admin)
            } throws: { error in
                let okta = try #require(error as? OktaError)
                return okta.status == 400 && okta.code == "E0000001" && okta.summary?.contains("only active") == true
            }
            await #expect {
                try await okta.deleteJWK(app: app.id, id: app.initialKeyID, admin: app.admin)
            } throws: { error in
                (error as? OktaError).map { $0.status == 400 && $0.summary?.contains("Deactivate the key") == true } ?? false
            }
            await #expect {
                _ = try await okta.getJWK(app: app.id, id: "pksnosuchkey00000000", admin: app.admin)
            } throws: { error in
                (error as? OktaError).map { $0.isNotFound && $0.code == "E0000007" } ?? false
            }
            let operatorToken = try #require(try await fake.control(.POST, "/_fake/tokens", ["name": "not-admin"]) as? [String: Any])
            await #expect {
                _ = try await okta.listJWKS(app: app.id, admin: SecretValue(utf8: try #require(operatorToken["value"] as? String)))
            } throws: { error in
                (error as? OktaError).map { $0.status == 403 && $0.code == "E0000006" } ?? false
            }
        }
    }

    @Test("the token request: a 429 on /oauth2/v1/token waits for X-Rate-Limit-Reset; a 503 is transient; the client assertion is RS256 with kid, iss=sub, aud, jti, exp ≤ 1h")
    func tokenRequest() async throws {
        try await PythonFake.with("okta") { fake in
            let okta = try OktaClientTests.client(fake)
            let app = try await Self.app(fake)
            try await fake.control(.POST, "/_fake/fail", ["path_prefix": "/oauth2/v1/token", "status": 429, "count": 1, "reset_seconds": 1])
            let started = ContinuousClock.now
            #expect(try await okta.clientCredentialsToken(clientID: app.id, key: app.initial, scope: "okta.apps.read") == "okta.apps.read")
            #expect(ContinuousClock.now - started >= .milliseconds(900), "the retry waited for the reset")
            try await fake.control(.POST, "/_fake/fail", ["path_prefix": "/oauth2/v1/token", "status": 503, "count": 1])
            await #expect {
                _ = try await okta.clientCredentialsToken(clientID: app.id, key: app.initial, scope: "okta.apps.read")
            } throws: { error in
                (error as? OktaError).map { $0.status == 503 && $0.isTransient } ?? false
            }

            let assertion = try app.initial.clientAssertion(clientID: app.id, audience: okta.tokenURL).revealSecretString()
            let parts = assertion.split(separator: ".").map(String.init)
            #expect(parts.count == 3)
            let headerData = try #require(Self.base64URL(parts[0]))
            let claimsData = try #require(Self.base64URL(parts[1]))
            let header = try #require(try JSONSerialization.jsonObject(with: headerData) as? [String: Any])
            let claims = try #require(try JSONSerialization.jsonObject(with: claimsData) as? [String: Any])
            #expect(header["alg"] as? String == "RS256" && header["kid"] as? String == "initial-key")
            #expect(claims["iss"] as? String == app.id && claims["sub"] as? String == app.id)
            #expect(claims["aud"] as? String == fake.url + "/oauth2/v1/token")
            #expect((claims["jti"] as? String)?.isEmpty == false)
            let exp = try #require(claims["exp"] as? Int)
            #expect(Double(exp) > Date().timeIntervalSince1970 && Double(exp) <= Date().timeIntervalSince1970 + 3600)
            let log = try #require(try await fake.control(.GET, "/_fake/requests") as? [[String: Any]])
            #expect(log.filter { $0["path"] as? String == "/oauth2/v1/token" }.allSatisfy { $0["auth"] as? String == "none" })
        }
    }

    @Test("a stored key reads back with its kid; a stored value that is not a key names the version, not the value")
    func storedFormat() throws {
        let key = try OktaAppKey.generate(kid: "k1")
        let stored = key.stored()
        let object = try #require(try JSONSerialization.jsonObject(with: Data(stored.revealSecretBytes())) as? [String: String])
        #expect(object["kid"] == "k1" && object["alg"] == "RS256" && object["private_key"]?.hasPrefix("-----BEGIN PRIVATE KEY-----") == true)
        let back = try OktaAppKey(stored: stored, versionID: "v1")
        #expect(back.kid == "k1" && back.modulus == key.modulus)
        let jwk = key.publicJWK()
        #expect(jwk["kty"] == "RSA" && jwk["e"] == "AQAB" && (jwk["n"]?.count ?? 0) >= 340 && jwk["d"] == nil)
        #expect {
            _ = try OktaAppKey(stored: SecretValue(utf8: "00sswstokenvalue-not-a-key"), versionID: "v2")
        } throws: { error in
            let text = "\(error)"
            return text.contains("v2") && !text.contains("00sswstokenvalue")
        }
    }

    static func base64URL(_ text: String) -> Data? {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        return Data(base64Encoded: base64)
    }
}
