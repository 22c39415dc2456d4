import AegisCore
@testable import AegisAnthropic
import AegisTestServers
import AsyncHTTPClient
import Foundation
import NIOHTTP1
import Testing

/// The Anthropic adapter's calls against the Anthropic fake (itself proven by the official SDK):
/// models with a regular key, the Admin API's API keys (paged list, read, status changes), and
/// how refusals, 404s, 429s and 5xx/529 come back, never quoting a key.
@Suite("Anthropic: models, API key status, rate limits, errors", .timeLimit(.minutes(3)))
struct AnthropicClientTests {
    static func client(_ fake: PythonFake, admin: String?) throws -> AnthropicClient {
        AnthropicClient(base: try AnthropicClient.validatedBase(URL(string: fake.url)!), admin: admin.map { SecretValue(utf8: $0) },
                        http: HTTPClient.shared, timeout: .seconds(20))
    }

    static func admin(_ fake: PythonFake) async throws -> String {
        let made = try #require(try await fake.control(.POST, "/_fake/admin-keys", [:]) as? [String: Any])
        return try #require(made["value"] as? String)
    }

    static func consoleKey(_ fake: PythonFake, name: String) async throws -> (id: String, value: String) {
        let made = try #require(try await fake.control(.POST, "/_fake/keys", ["name": name]) as? [String: Any])
        return (try #require(made["id"] as? String), try #require(made["value"] as? String))
    }

    @Test("a console key lists models with x-api-key and anthropic-version; an unknown key is a 401 quoting nothing")
    func models() async throws {
        try await PythonFake.with("anthropic") { fake in
            let anthropic = try Self.client(fake, admin: try await Self.admin(fake))
            let key = try await Self.consoleKey(fake, name: "aegis-api")
            #expect(try await anthropic.models(key: SecretValue(utf8: key.value)) == 3)
            let wrong = "sk-ant-api03-" + String(repeating: "Z", count: 80) + "QQAA"
            await #expect {
                _ = try await anthropic.models(key: SecretValue(utf8: wrong))
            } throws: { error in
                let failure = try #require(error as? AnthropicError)
                let text = "\(failure) \(failure.adapterError)"
                return failure.isInvalidKey && failure.type == "authentication_error" && !failure.isTransient
                    && !text.contains("sk-ant") && !text.contains("QQAA")
            }
            let requests = try #require(try await fake.control(.GET, "/_fake/requests") as? [[String: Any]])
            #expect(requests.allSatisfy { $0["auth_header"] as? String == "x-api-key" && $0["anthropic_version"] as? String == "2023-06-01" },
                    "\(requests)")
        }
    }

    @Test("list every page, find a key by its hint, inactive (refused), active again, archived (final)")
    func statusLifecycle() async throws {
        try await PythonFake.with("anthropic") { fake in
            let anthropic = try Self.client(fake, admin: try await Self.admin(fake))
            for index in 0..<105 { _ = try await Self.consoleKey(fake, name: "someone \(index)") }
            let old = try await Self.consoleKey(fake, name: "aegis-api old")
            let keys = try await anthropic.apiKeys()
            #expect(keys.count == 106, "every page was read (\(keys.count))")
            let matching = keys.filter { $0.matches(SecretValue(utf8: old.value)) }
            #expect(matching.map(\.id) == [old.id], "the hint finds exactly the old key")
            let requests = try #require(try await fake.control(.GET, "/_fake/requests") as? [[String: Any]])
            #expect(requests.filter { $0["path"] as? String == "/v1/organizations/api_keys" }.count == 2, "two pages of 100")

            let value = SecretValue(utf8: old.value)
            #expect(try await anthropic.setStatus(id: old.id, .inactive)?.status == .inactive)
            await #expect(throws: AnthropicError.self) { _ = try await anthropic.models(key: value) }
            #expect(try await anthropic.setStatus(id: old.id, .active)?.status == .active)
            #expect(try await anthropic.models(key: value) == 3, "active again: the key works")
            #expect(try await anthropic.setStatus(id: old.id, .archived)?.status == .archived)
            #expect(try await anthropic.apiKey(id: old.id)?.status == .archived)
            await #expect {
                _ = try await anthropic.setStatus(id: old.id, .active)
            } throws: { error in
                (error as? AnthropicError).map { $0.status == 400 && !$0.isTransient } ?? false
            }
            #expect(try await anthropic.apiKey(id: "apikey_01missing") == nil, "a 404 reads as no such key")
            #expect(!fake.log.contains(old.value))
        }
    }

    @Test("admin calls: a regular key is refused, without ANTHROPIC_ADMIN_KEY nothing is sent")
    func adminCredential() async throws {
        try await PythonFake.with("anthropic") { fake in
            let key = try await Self.consoleKey(fake, name: "aegis-api")
            let wrongAdmin = try Self.client(fake, admin: key.value)
            await #expect {
                _ = try await wrongAdmin.apiKeys()
            } throws: { error in
                (error as? AnthropicError).map { $0.isInvalidKey && !"\($0)".contains(String(key.value.suffix(6))) } ?? false
            }
            let none = try Self.client(fake, admin: nil)
            await #expect {
                _ = try await none.apiKeys()
            } throws: { error in
                (error as? AnthropicError).map { $0.status == -1 && !$0.isTransient && "\($0)".contains("ANTHROPIC_ADMIN_KEY is not set") } ?? false
            }
            let requests = try #require(try await fake.control(.GET, "/_fake/requests") as? [[String: Any]])
            #expect(requests.count == 1)
        }
    }

    @Test("a 429 waits for retry-after and succeeds; three in a row are transient; 500 and 529 are transient")
    func rateLimitsAndServerErrors() async throws {
        try await PythonFake.with("anthropic") { fake in
            let anthropic = try Self.client(fake, admin: try await Self.admin(fake))
            let key = SecretValue(utf8: try await Self.consoleKey(fake, name: "aegis-api").value)
            try await fake.control(.POST, "/_fake/fail", ["path_prefix": "/v1/models", "status": 429, "count": 1, "retry_after_ms": 1_000])
            let started = ContinuousClock.now
            #expect(try await anthropic.models(key: key) == 3)
            #expect(ContinuousClock.now - started >= .milliseconds(950), "the retry waited for retry-after")
            try await fake.control(.POST, "/_fake/fail", ["path_prefix": "/v1/models", "status": 429, "count": 3, "retry_after_ms": 100])
            await #expect {
                _ = try await anthropic.models(key: key)
            } throws: { error in
                (error as? AnthropicError).map { $0.status == 429 && $0.isTransient && $0.type == "rate_limit_error" } ?? false
            }
            for status in [500, 529] {
                try await fake.control(.POST, "/_fake/fail", ["path_prefix": "/v1/organizations", "status": status, "count": 1])
                await #expect {
                    _ = try await anthropic.apiKeys()
                } throws: { error in
                    (error as? AnthropicError).map { $0.status == status && $0.isTransient } ?? false
                }
            }
            #expect(AnthropicClient.rateLimitWait(HTTPHeaders([("retry-after", "120")])) == nil)
        }
    }
}
