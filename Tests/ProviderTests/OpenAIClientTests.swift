import AegisCore
@testable import AegisOpenAI
import AegisTestServers
import AsyncHTTPClient
import Foundation
import NIOHTTP1
import Testing

/// The OpenAI adapter's calls against the OpenAI fake (itself proven by the official SDK):
/// models with a project key, the Admin API's project keys (list with paging, mint, delete),
/// and how refusals, 404s, 429s and 5xx come back, never quoting a key.
@Suite("OpenAI: models, project keys, rate limits, errors", .timeLimit(.minutes(3)))
struct OpenAIClientTests {
    static func client(_ fake: PythonFake, admin: String?) throws -> OpenAIClient {
        OpenAIClient(base: try OpenAIClient.validatedBase(URL(string: fake.url + "/v1")!), admin: admin.map { SecretValue(utf8: $0) },
                     http: HTTPClient.shared, timeout: .seconds(20))
    }

    @Test("a service-account key lists models; an unknown key is refused with a 401 that quotes no part of it")
    func models() async throws {
        try await PythonFake.with("openai") { fake in
            let setup = try await OpenAIFakeProject.make(fake)
            let openai = try Self.client(fake, admin: setup.admin)
            #expect(try await openai.models(key: SecretValue(utf8: setup.firstKey.value)) == 3)
            let wrong = "sk-proj-" + String(repeating: "Q", count: 60) + "WXYZ"
            await #expect {
                _ = try await openai.models(key: SecretValue(utf8: wrong))
            } throws: { error in
                let failure = try #require(error as? OpenAIError)
                let text = "\(failure) \(failure.adapterError)"
                return failure.isInvalidKey && !failure.isTransient && failure.code == "invalid_api_key"
                    && !text.contains("sk-proj-") && !text.contains("****") && !text.contains("WXYZ") && text.contains("<key redacted>")
            }
            // The admin key is an admin key, not a project key: refused on /v1/models, and never quoted.
            await #expect {
                _ = try await openai.models(key: SecretValue(utf8: setup.admin))
            } throws: { error in
                (error as? OpenAIError).map { $0.isInvalidKey && !"\($0)".contains(String(setup.admin.suffix(4))) } ?? false
            }
        }
    }

    @Test("mint a second service-account key; list every page; delete the old key, which /v1/models then refuses")
    func mintListDelete() async throws {
        try await PythonFake.with("openai") { fake in
            let setup = try await OpenAIFakeProject.make(fake)
            let openai = try Self.client(fake, admin: setup.admin)
            // 120 user keys first, so the service account's keys are on the second page.
            for index in 0..<120 { _ = try await OpenAIFakeProject.userKey(fake, project: setup.project, name: "person \(index)") }
            let minted = try await openai.createServiceAccountKey(project: setup.project, serviceAccount: setup.serviceAccount, name: "rotated")
            #expect(minted.id != setup.firstKey.id)
            #expect(try await openai.models(key: minted.value) == 3, "the minted key works at once")

            let keys = try await openai.projectKeys(project: setup.project)
            #expect(keys.count == 122, "every page was read (\(keys.count))")
            let accountKeys = keys.filter { $0.serviceAccountID == setup.serviceAccount }
            #expect(Set(accountKeys.map(\.id)) == [setup.firstKey.id, minted.id])
            let first = try #require(accountKeys.first { $0.id == setup.firstKey.id })
            #expect(first.matches(SecretValue(utf8: setup.firstKey.value)), "redacted_value matches the key it redacts")
            #expect(!first.matches(minted.value))
            let requests = try #require(try await fake.control(.GET, "/_fake/requests") as? [[String: Any]])
            let pages = requests.filter { $0["path"] as? String == "/v1/organization/projects/\(setup.project)/api_keys" }
            #expect(pages.count == 2, "two pages of 100")

            #expect(try await openai.deleteProjectKey(project: setup.project, keyID: setup.firstKey.id))
            await #expect(throws: OpenAIError.self) { _ = try await openai.models(key: SecretValue(utf8: setup.firstKey.value)) }
            #expect(try await openai.models(key: minted.value) == 3, "the other key of the account keeps working")
            #expect(try await openai.deleteProjectKey(project: setup.project, keyID: setup.firstKey.id) == false, "a second delete is a 404: already gone")
            #expect(!fake.log.contains(minted.value.revealSecretString()) && !fake.log.contains(setup.admin))
        }
    }

    @Test("404 for an unknown project is final; admin calls without OPENAI_ADMIN_KEY are not attempted")
    func notFoundAndNotConfigured() async throws {
        try await PythonFake.with("openai") { fake in
            let setup = try await OpenAIFakeProject.make(fake)
            let openai = try Self.client(fake, admin: setup.admin)
            await #expect {
                _ = try await openai.projectKeys(project: "proj_missing")
            } throws: { error in
                (error as? OpenAIError).map { $0.isNotFound && !$0.isTransient && $0.status == 404 } ?? false
            }
            let withoutAdmin = try Self.client(fake, admin: nil)
            await #expect {
                _ = try await withoutAdmin.projectKeys(project: setup.project)
            } throws: { error in
                (error as? OpenAIError).map { $0.isNotConfigured && !$0.isTransient && "\($0)".contains("OPENAI_ADMIN_KEY is not set") } ?? false
            }
            let requests = try #require(try await fake.control(.GET, "/_fake/requests") as? [[String: Any]])
            #expect(requests.count == 2, "the unconfigured call never went out: \(requests.count)")
        }
    }

    @Test("a 429 waits for retry-after-ms and succeeds; three in a row are transient; a 500 and a 503 are transient")
    func rateLimitsAndServerErrors() async throws {
        try await PythonFake.with("openai") { fake in
            let setup = try await OpenAIFakeProject.make(fake)
            let openai = try Self.client(fake, admin: setup.admin)
            let key = SecretValue(utf8: setup.firstKey.value)
            try await fake.control(.POST, "/_fake/fail", ["path_prefix": "/v1/models", "status": 429, "count": 1, "retry_after_ms": 700])
            let started = ContinuousClock.now
            #expect(try await openai.models(key: key) == 3)
            #expect(ContinuousClock.now - started >= .milliseconds(650), "the retry waited for retry-after-ms")

            try await fake.control(.POST, "/_fake/fail", ["path_prefix": "/v1/models", "status": 429, "count": 3, "retry_after_ms": 100])
            await #expect {
                _ = try await openai.models(key: key)
            } throws: { error in
                (error as? OpenAIError).map { $0.status == 429 && $0.isTransient && $0.adapterError.isTransient } ?? false
            }
            for status in [500, 503] {
                try await fake.control(.POST, "/_fake/fail", ["path_prefix": "/v1/organization", "status": status, "count": 1])
                await #expect {
                    _ = try await openai.projectKeys(project: setup.project)
                } throws: { error in
                    (error as? OpenAIError).map { $0.status == status && $0.isTransient } ?? false
                }
            }
            #expect(try await openai.models(key: key) == 3, "after the injected failures the key works")
        }
    }

    @Test("retry-after-ms wins over retry-after; a wait longer than 30 s is not waited for")
    func rateLimitHeaders() {
        #expect(OpenAIClient.rateLimitWait(HTTPHeaders([("retry-after-ms", "250"), ("retry-after", "9")])) == .milliseconds(250))
        #expect(OpenAIClient.rateLimitWait(HTTPHeaders([("retry-after", "2")])) == .milliseconds(2_000))
        #expect(OpenAIClient.rateLimitWait(HTTPHeaders([("retry-after", "120")])) == nil)
    }

    @Test("provider sentences lose every key-like word")
    func sanitizer() {
        let text = OpenAIError.sanitized("Incorrect API key provided: sk-proj-****************************MxYA. You can find your API key at x.")
        #expect(!text.contains("sk-proj") && !text.contains("MxYA") && text.contains("Incorrect API key provided: <key redacted>"))
        #expect(OpenAIError.sanitized("abcdefgh*****wxyz.") == "<key redacted>")
    }

    @Test("a base URL that would send keys in clear is refused")
    func baseMustBeHTTPS() throws {
        #expect(throws: AdapterSetupProblem.self) { try OpenAIClient.validatedBase(URL(string: "http://api.openai.com/v1")!) }
        #expect(try OpenAIClient.validatedBase(OpenAIClient.defaultBase).host == "api.openai.com")
    }
}
