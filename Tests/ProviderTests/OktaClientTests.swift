import AegisCore
import AegisOkta
import AegisTestServers
import AsyncHTTPClient
import Foundation
import NIOHTTP1
import Testing

/// The Okta adapter's calls against the Okta fake (itself proven by the official Okta SDK).
@Suite("Okta: users/me, self-revocation, rate limits", .timeLimit(.minutes(3)))
struct OktaClientTests {
    static func client(_ fake: PythonFake) throws -> OktaClient {
        OktaClient(org: try OktaClient.validatedOrg(URL(string: fake.url)!), http: HTTPClient.shared, timeout: .seconds(20))
    }

    static func consoleToken(_ fake: PythonFake, name: String) async throws -> (id: String, value: SecretValue) {
        let made = try #require(try await fake.control(.POST, "/_fake/tokens", ["name": name]) as? [String: Any])
        return (try #require(made["id"] as? String), SecretValue(utf8: try #require(made["value"] as? String)))
    }

    @Test("a console-made token is accepted; a random one is refused with E0000011")
    func currentUser() async throws {
        try await PythonFake.with("okta") { fake in
            let okta = try Self.client(fake)
            let token = try await Self.consoleToken(fake, name: "aegis-api")
            #expect(try await okta.currentUser(token: token.value) == "operator@example.com")
            await #expect {
                _ = try await okta.currentUser(token: SecretValue(utf8: "00" + String(repeating: "x", count: 40)))
            } throws: { error in
                let okta = try #require(error as? OktaError)
                return okta.isInvalidToken && okta.code == "E0000011" && !okta.isTransient
            }
        }
    }

    @Test("DELETE api-tokens/current revokes the token that sends it, and only that one")
    func revokeCurrent() async throws {
        try await PythonFake.with("okta") { fake in
            let okta = try Self.client(fake)
            let old = try await Self.consoleToken(fake, name: "old")
            let new = try await Self.consoleToken(fake, name: "new")
            try await okta.revokeCurrent(token: old.value)
            await #expect(throws: OktaError.self) { _ = try await okta.currentUser(token: old.value) }
            #expect(try await okta.currentUser(token: new.value) == "operator@example.com")
            let tokens = try #require(try await fake.control(.GET, "/_fake/tokens") as? [[String: Any]])
            #expect(tokens.first { $0["id"] as? String == old.id }?["revoked"] as? Bool == true)
            #expect(tokens.first { $0["id"] as? String == new.id }?["revoked"] as? Bool == false)
            #expect(!fake.log.contains(old.value.revealSecretString()) && !fake.log.contains(new.value.revealSecretString()))
        }
    }

    @Test("a 429 waits for X-Rate-Limit-Reset and succeeds; a 500 is a transient failure")
    func rateLimit() async throws {
        try await PythonFake.with("okta") { fake in
            let okta = try Self.client(fake)
            let token = try await Self.consoleToken(fake, name: "aegis-api")
            try await fake.control(.POST, "/_fake/fail", ["path_prefix": "/api/v1/users/me", "status": 429, "count": 1, "reset_seconds": 1])
            let started = ContinuousClock.now
            #expect(try await okta.currentUser(token: token.value) == "operator@example.com")
            #expect(ContinuousClock.now - started >= .milliseconds(900), "the retry waited for the reset")
            try await fake.control(.POST, "/_fake/fail", ["path_prefix": "/api/v1/users/me", "status": 500, "count": 1])
            await #expect {
                _ = try await okta.currentUser(token: token.value)
            } throws: { error in
                (error as? OktaError).map { $0.status == 500 && $0.isTransient } ?? false
            }
        }
    }

    @Test("an org URL that would send tokens in clear is refused")
    func orgMustBeHTTPS() throws {
        #expect(throws: AdapterSetupProblem.self) { try OktaClient.validatedOrg(URL(string: "http://acme.okta.com")!) }
        #expect(try OktaClient.validatedOrg(URL(string: "https://acme.okta.com")!).host == "acme.okta.com")
    }
}
