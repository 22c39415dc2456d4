import AegisAWS
import AegisCore
import AegisTestServers
import Foundation
import NIOHTTP1
import Testing

/// SIGKILL the production shell right after every step of OpenAI `service-account-key` and
/// Anthropic `console-key` (the new key staged in the store), start it again, and check: the
/// rotation completed, the store agrees with the provider, no minted key is orphaned unrecorded
/// (the service account's live keys at the fake are exactly the ones the store holds), and the
/// old key was not removed before verification (with a 1h grace it is still there: deleted
/// only by a timer that has not fired, or only inactive).
@Suite("production crash recovery: OpenAI and Anthropic keys", .productionWorld, .serialized, .timeLimit(.minutes(20)))
struct AIProviderCrashTests {
    enum Strategy: String, Sendable, CaseIterable, CustomStringConvertible {
        case openAIServiceAccountKey = "openai-api-key service-account-key"
        case anthropicConsoleKey = "anthropic-api-key console-key"

        var description: String { rawValue }

        var secret: String {
            switch self {
            case .openAIServiceAccountKey: "openai-api-key"
            case .anthropicConsoleKey: "anthropic-api-key"
            }
        }

        var fake: String {
            switch self {
            case .openAIServiceAccountKey: "openai"
            case .anthropicConsoleKey: "anthropic"
            }
        }

        var steps: [String] {
            switch self {
            case .openAIServiceAccountKey: ["mint-service-account-key", "promote", "restart", "verify", "delete-old-key"]
            case .anthropicConsoleKey: ["await-provided-key", "anthropic-key-check", "promote", "restart", "verify", "anthropic-key-retire"]
            }
        }
    }

    static let cases = Strategy.allCases.flatMap { strategy in strategy.steps.map { (strategy, $0) } }

    @Test("SIGKILL after the step, restart, completed; no orphaned key; nothing removed before verification", arguments: cases)
    func crashAfterStep(strategy: Strategy, step: String) async throws {
        try await PythonFake.with(strategy.fake) { fake in
            switch strategy {
            case .openAIServiceAccountKey: try await openAI(fake, after: step)
            case .anthropicConsoleKey: try await anthropic(fake, after: step)
            }
        }
    }

    /// Request, approve and crash at `after:<step>`; then a new shell resumes to the end.
    /// Returns both shells' outputs.
    func crashAndResume(_ scenario: Scenario, secret: String, step: String, environment: [String: String]) async throws -> [String] {
        let point = "after:\(step)"
        try await scenario.requestAsOperator("/rotate \(secret) crash test", environment: environment)
        let first = try scenario.shell(environment.merging(["AEGIS_CRASH_POINT": point]) { $1 })
        first.send("approve R-1")
        #expect(try await first.waitForExit(timeout: .seconds(60)) == -SIGKILL, "expected SIGKILL at \(point)\n\(first.stdout)\n\(first.stderr)")
        #expect(first.stderr.contains("crash point \(point) reached"), "\(first.stderr)")
        let second = try scenario.shell(environment)
        second.closeInput()
        let recovered = try await second.waitForExit(timeout: .seconds(90))
        #expect(recovered == 0, "recovery after \(point) exited \(recovered)\n\(second.stdout)\n\(second.stderr)")
        let status = try await scenario.status("R-1")
        #expect(status.hasSuffix(": completed"), "after \(point): \(status)\n\(second.stdout)")
        return [first.stdout, first.stderr, second.stdout, second.stderr]
    }

    /// current = new, previous = old, nothing pending; returns the new value.
    func expectStore(_ scenario: Scenario, secret: String, oldValue: String, point: String) async throws -> String {
        let newValue = try #require(try await scenario.value(secret, stage: .current), "no current version after \(point)")
        #expect(newValue != oldValue, "the current key is still the old one after \(point)")
        #expect(try await scenario.value(secret, stage: .previous) == oldValue, "previous is not the old key after \(point)")
        let storage = try scenario.definition(secret).storage
        let pending = try await scenario.store.versions(secret: storage).filter { $0.stages.contains(.pending) }
        #expect(pending.isEmpty, "stray pending version after \(point)")
        return newValue
    }

    func openAI(_ fake: PythonFake, after step: String) async throws {
        let setup = try await OpenAIFakeProject.make(fake)
        try await Scenario.with(edit: AIProviderSetup.openAIEdit(setup, strategy: "service-account-key")) { scenario in
            let secret = Strategy.openAIServiceAccountKey.secret
            #expect(try scenario.definition(secret).steps.map(\.name) == Strategy.openAIServiceAccountKey.steps)
            try await AIProviderSetup.seed(scenario, secret, current: setup.firstKey.value)
            let point = "after:\(step)"
            let outputs = try await crashAndResume(scenario, secret: secret, step: step, environment: AIProviderSetup.openAIEnvironment(fake, setup))
            let newValue = try await expectStore(scenario, secret: secret, oldValue: setup.firstKey.value, point: point)

            // The service account's live keys are exactly the stored ones: old (grace 1h) and new.
            let listed = try await fake.api(.GET, "/v1/organization/projects/\(setup.project)/api_keys?limit=100",
                                            headers: ["Authorization": "Bearer \(setup.admin)"])
            let keys = (listed.json as? [String: Any])?["data"] as? [[String: Any]] ?? []
            let accountKeys = keys.filter { (($0["owner"] as? [String: Any])?["service_account"] as? [String: Any])?["id"] as? String == setup.serviceAccount }
            let hints = accountKeys.compactMap { $0["redacted_value"] as? String }
            let stored = [setup.firstKey.value, newValue]
            #expect(accountKeys.count == 2, "the service account holds \(accountKeys.count) live keys after \(point), expected old and new")
            for hint in hints {
                let parts = hint.components(separatedBy: "...")
                let known = stored.contains { parts.count == 2 && $0.hasPrefix(parts[0]) && $0.hasSuffix(parts[1]) }
                #expect(known, "a live key of the service account is not in the store after \(point) (orphaned)")
            }
            #expect(try await AIProviderSetup.openAIModelsStatus(fake, key: newValue) == 200, "the stored key works after \(point)")
            #expect(try await AIProviderSetup.openAIModelsStatus(fake, key: setup.firstKey.value) == 200,
                    "the old key was deleted before its grace period after \(point)")
            let leaks = try await AIProviderSetup.leaks(scenario, secret: secret, outputs: outputs + [fake.log],
                                                        extra: [setup.admin, setup.firstKey.value, newValue])
            #expect(leaks.isEmpty, "secret values found after \(point) in: \(leaks)")
        }
    }

    func anthropic(_ fake: PythonFake, after step: String) async throws {
        try await Scenario.with { scenario in
            let secret = Strategy.anthropicConsoleKey.secret
            #expect(try scenario.definition(secret).steps.map(\.name) == Strategy.anthropicConsoleKey.steps)
            let admin = try await AIProviderSetup.anthropicAdmin(fake)
            let old = try await AIProviderSetup.anthropicConsoleKey(fake, name: "aegis-api (current)")
            let new = try await AIProviderSetup.anthropicConsoleKey(fake, name: "aegis-api (rotated)")
            try await AIProviderSetup.seed(scenario, secret, current: old.value, pending: new.value)
            let point = "after:\(step)"
            let outputs = try await crashAndResume(scenario, secret: secret, step: step,
                                                   environment: AIProviderSetup.anthropicEnvironment(fake, admin: admin))
            let newValue = try await expectStore(scenario, secret: secret, oldValue: old.value, point: point)
            #expect(newValue == new.value, "the current key is not the one handed over after \(point)")
            let statuses = try await AIProviderSetup.anthropicStatuses(fake)
            #expect(statuses[new.id] == "active", "the new key is not active after \(point): \(statuses)")
            #expect(statuses[old.id] == "inactive", "the old key is not inactive (and not yet archived) after \(point): \(statuses)")
            // Nothing changed status before verification: every status POST came after the last restart's verify.
            let log = try #require(try await fake.control(.GET, "/_fake/requests") as? [[String: Any]])
            let posts = log.filter { $0["method"] as? String == "POST" }.compactMap { $0["path"] as? String }
            #expect(posts.allSatisfy { $0 == "/v1/organizations/api_keys/\(old.id)" }, "only the old key's status changed: \(posts)")
            let leaks = try await AIProviderSetup.leaks(scenario, secret: secret, outputs: outputs + [fake.log],
                                                        extra: [admin, old.value, new.value])
            #expect(leaks.isEmpty, "secret values found after \(point) in: \(leaks)")
        }
    }
}
