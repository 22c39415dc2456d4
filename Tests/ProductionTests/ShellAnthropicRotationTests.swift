import AegisAWS
import AegisCore
import AegisTestServers
import Foundation
import NIOHTTP1
import Testing

/// `/rotate anthropic` in the production shell: the new key (made "in the Console" at the
/// Anthropic fake) is staged as pending in Secrets Manager, checked with `GET /v1/models`,
/// promoted, the deployment restarted and verified; then the old key is set inactive, and a
/// later shell archives it after the grace period.
@Suite("production shell: Anthropic API key", .productionWorld, .serialized, .timeLimit(.minutes(6)))
struct ShellAnthropicRotationTests {
    struct Keys {
        var admin: String
        var old: (id: String, value: String)
        var new: (id: String, value: String)
    }

    static func stage(_ scenario: Scenario, _ fake: PythonFake) async throws -> Keys {
        let keys = Keys(admin: try await AIProviderSetup.anthropicAdmin(fake),
                        old: try await AIProviderSetup.anthropicConsoleKey(fake, name: "aegis-api (current)"),
                        new: try await AIProviderSetup.anthropicConsoleKey(fake, name: "aegis-api (rotated)"))
        try await AIProviderSetup.seed(scenario, "anthropic-api-key", current: keys.old.value, pending: keys.new.value)
        return keys
    }

    @Test("console-key: checked, promoted, verified; the old key inactive, then archived by a later shell after the grace period")
    func consoleKey() async throws {
        try await Scenario.with { scenario in
            try await PythonFake.with("anthropic") { anthropic in
                let keys = try await Self.stage(scenario, anthropic)
                let environment = AIProviderSetup.anthropicEnvironment(anthropic, admin: keys.admin, grace: "2s")
                let run = try await scenario.rotateInShell("anthropic", environment: environment)
                #expect(run.stdout.contains("🎉 R-1 completed"), "\(run.stdout)")
                #expect(try await scenario.value("anthropic-api-key", stage: .current) == keys.new.value)
                #expect(try await scenario.value("anthropic-api-key", stage: .previous) == keys.old.value)
                #expect(run.stdout.contains("Anthropic accepts the new key"), "\(run.stdout)")
                #expect(run.stdout.contains("cannot be undone"), "\(run.stdout)")
                var statuses = try await AIProviderSetup.anthropicStatuses(anthropic)
                #expect(statuses[keys.old.id] == "inactive", "\(statuses)")
                #expect(statuses[keys.new.id] == "active")
                #expect(await scenario.restartCount() == 1)
                let log = try #require(try await anthropic.control(.GET, "/_fake/requests") as? [[String: Any]])
                let calls = log.map { "\($0["method"] ?? "") \($0["path"] ?? "")" }
                #expect(calls.first == "GET /v1/models", "checked before anything changed: \(calls)")
                #expect(calls.contains("POST /v1/organizations/api_keys/\(keys.old.id)"), "\(calls)")

                try await Task.sleep(for: .seconds(2))
                let later = try scenario.shell(environment)
                try await later.waitForOutput("archived the old Anthropic key \(keys.old.id) after the grace period", timeout: .seconds(90))
                later.closeInput()
                #expect(try await later.waitForExit() == 0)
                statuses = try await AIProviderSetup.anthropicStatuses(anthropic)
                #expect(statuses[keys.old.id] == "archived", "\(statuses)")
                #expect(statuses[keys.new.id] == "active")
                let outputs = [run.stdout, run.stderr, later.stdout, later.stderr, anthropic.log]
                let leaks = try await AIProviderSetup.leaks(scenario, secret: "anthropic-api-key", outputs: outputs,
                                                            extra: [keys.admin, keys.old.value, keys.new.value])
                #expect(leaks.isEmpty, "secret values found in: \(leaks)")
            }
        }
    }

    @Test("ai_provider unhealthy after the restart: the old key current again and never inactive, escalated")
    func rollbackKeepsOldKey() async throws {
        try await Scenario.with { scenario in
            try await PythonFake.with("anthropic") { anthropic in
                let keys = try await Self.stage(scenario, anthropic)
                let pods = scenario.behaveAfterRestarts([1: .init(components: ["ai_provider": "error"]), 2: .init(components: ["ai_provider": "ok"])])
                defer { pods.cancel() }
                let run = try await scenario.rotateInShell("anthropic", environment: AIProviderSetup.anthropicEnvironment(anthropic, admin: keys.admin))
                #expect(run.stdout.contains("↺ R-1 rolled back"), "\(run.stdout)")
                #expect(run.stdout.contains("[#platform-support]"), "\(run.stdout)")
                #expect(try await scenario.value("anthropic-api-key", stage: .current) == keys.old.value)
                let statuses = try await AIProviderSetup.anthropicStatuses(anthropic)
                #expect(statuses[keys.old.id] == "active", "the old key was never set inactive: \(statuses)")
                let log = try #require(try await anthropic.control(.GET, "/_fake/requests") as? [[String: Any]])
                #expect(!log.contains { $0["method"] as? String == "POST" }, "no status change before a passed verification")
                let leaks = try await AIProviderSetup.leaks(scenario, secret: "anthropic-api-key", outputs: [run.stdout, run.stderr],
                                                            extra: [keys.admin, keys.old.value, keys.new.value])
                #expect(leaks.isEmpty, "secret values found in: \(leaks)")
            }
        }
    }

    @Test("plan anthropic-api-key: ready with ANTHROPIC_ADMIN_KEY; names exactly ANTHROPIC_ADMIN_KEY without it")
    func plan() async throws {
        try await Scenario.with { scenario in
            try await PythonFake.with("anthropic") { anthropic in
                let admin = try await AIProviderSetup.anthropicAdmin(anthropic)
                let ready = try await scenario.workspace.run(["plan", "anthropic-api-key"],
                                                             environment: scenario.environment(AIProviderSetup.anthropicEnvironment(anthropic, admin: admin)))
                #expect(ready.status == 0, "\(ready.stdout)\(ready.stderr)")
                #expect(!ready.stdout.contains("Not ready here"), "\(ready.stdout)")
                #expect(ready.stdout.contains("Set the old Anthropic key inactive; archive it after 1h"), "\(ready.stdout)")

                let missing = try await scenario.workspace.run(["plan", "anthropic-api-key"],
                                                               environment: scenario.environment(["ANTHROPIC_BASE_URL": anthropic.url]))
                let text = missing.stdout + missing.stderr
                #expect(text.contains("Not ready here"), "\(text)")
                #expect(missing.status == 5, "plan exits 5 when it cannot run here")
                let reasons = text.components(separatedBy: "Not ready here:").last?.split(separator: "\n").filter { $0.hasPrefix("  - ") } ?? []
                #expect(reasons.count == 1 && reasons.allSatisfy { $0.contains("ANTHROPIC_ADMIN_KEY is not set") }, "\(reasons)")
            }
        }
    }
}
