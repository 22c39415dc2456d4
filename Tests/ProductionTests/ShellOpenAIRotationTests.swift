import AegisAWS
import AegisCore
import AegisTestServers
import Foundation
import NIOHTTP1
import Testing

/// `/rotate openai` in the production shell against the OpenAI fake, moto (Secrets Manager), the
/// Kubernetes fake and the aegis-api fake.
/// - `service-account-key`: the bot mints a second key for the service account, stores it, restarts,
///   verifies it with `GET /v1/models`, and a durable timer deletes the old key after the grace period;
/// - `console-key`: a person's new key is staged as pending, checked, promoted, verified, and the old
///   key's deletion is scheduled after the grace period.
@Suite("production shell: OpenAI API key", .productionWorld, .serialized, .timeLimit(.minutes(6)))
struct ShellOpenAIRotationTests {
    @Test("service-account-key: minted, verified with /v1/models; the old key is deleted by a later shell after the grace period and refused")
    func serviceAccountKey() async throws {
        try await PythonFake.with("openai") { openai in
            let setup = try await OpenAIFakeProject.make(openai)
            try await Scenario.with(edit: AIProviderSetup.openAIEdit(setup, strategy: "service-account-key")) { scenario in
                try await AIProviderSetup.seed(scenario, "openai-api-key", current: setup.firstKey.value)
                let environment = AIProviderSetup.openAIEnvironment(openai, setup, grace: "2s")
                let run = try await scenario.rotateInShell("openai", environment: environment)
                #expect(run.stdout.contains("🎉 R-1 completed"), "\(run.stdout)")
                let newValue = try #require(try await scenario.value("openai-api-key", stage: .current))
                #expect(newValue != setup.firstKey.value && newValue.hasPrefix("sk-svcacct-"))
                #expect(try await scenario.value("openai-api-key", stage: .previous) == setup.firstKey.value)
                #expect(run.stdout.contains("OpenAI GET /v1/models with the new key"), "\(run.stdout)")
                #expect(run.stdout.contains("cannot be undone"), "\(run.stdout)")
                #expect(await scenario.restartCount() == 1)
                var keys = try await OpenAIFakeProject.keys(openai).filter { $0.serviceAccount == setup.serviceAccount }
                #expect(keys.filter { !$0.deleted }.count == 2, "the old key lives through the grace period: \(keys)")
                #expect(try await AIProviderSetup.openAIModelsStatus(openai, key: newValue) == 200)

                try await Task.sleep(for: .seconds(2))
                let later = try scenario.shell(environment)
                try await later.waitForOutput("deleted the old OpenAI key \(setup.firstKey.id) after the grace period", timeout: .seconds(90))
                later.closeInput()
                #expect(try await later.waitForExit() == 0)
                keys = try await OpenAIFakeProject.keys(openai).filter { $0.serviceAccount == setup.serviceAccount }
                #expect(keys.first { $0.id == setup.firstKey.id }?.deleted == true, "the old key is deleted")
                #expect(keys.filter { !$0.deleted }.count == 1)
                #expect(try await AIProviderSetup.openAIModelsStatus(openai, key: setup.firstKey.value) == 401, "the deleted key is refused")
                #expect(try await AIProviderSetup.openAIModelsStatus(openai, key: newValue) == 200)

                // The old key was deleted only after verification, by the timer: the last admin call.
                let log = try #require(try await openai.control(.GET, "/_fake/requests") as? [[String: Any]])
                let deletes = log.filter { $0["method"] as? String == "DELETE" }.compactMap { $0["path"] as? String }
                #expect(deletes == ["/v1/organization/projects/\(setup.project)/api_keys/\(setup.firstKey.id)"], "\(deletes)")
                let outputs = [run.stdout, run.stderr, later.stdout, later.stderr, openai.log]
                #expect(!outputs.contains { $0.contains(setup.admin) || $0.contains(newValue) || $0.contains(setup.firstKey.value) })
                let leaks = try await AIProviderSetup.leaks(scenario, secret: "openai-api-key", outputs: outputs,
                                                            extra: [setup.admin, newValue, setup.firstKey.value])
                #expect(leaks.isEmpty, "secret values found in: \(leaks)")
            }
        }
    }

    @Test("service-account-key with ai_provider unhealthy: the new key is deleted, the old one current and never deleted, escalated")
    func serviceAccountKeyRollback() async throws {
        try await PythonFake.with("openai") { openai in
            let setup = try await OpenAIFakeProject.make(openai)
            try await Scenario.with(edit: AIProviderSetup.openAIEdit(setup, strategy: "service-account-key")) { scenario in
                try await AIProviderSetup.seed(scenario, "openai-api-key", current: setup.firstKey.value)
                let pods = scenario.behaveAfterRestarts([1: .init(components: ["ai_provider": "error"]), 2: .init(components: ["ai_provider": "ok"])])
                defer { pods.cancel() }
                let run = try await scenario.rotateInShell("openai", environment: AIProviderSetup.openAIEnvironment(openai, setup))
                #expect(run.stdout.contains("↺ R-1 rolled back"), "\(run.stdout)")
                #expect(run.stdout.contains("[#platform-support]"), "\(run.stdout)")
                #expect(try await scenario.value("openai-api-key", stage: .current) == setup.firstKey.value)
                let keys = try await OpenAIFakeProject.keys(openai).filter { $0.serviceAccount == setup.serviceAccount }
                #expect(keys.filter { !$0.deleted }.map(\.id) == [setup.firstKey.id], "only the old key is left: \(keys)")
                #expect(try await AIProviderSetup.openAIModelsStatus(openai, key: setup.firstKey.value) == 200, "the old key works")
                let log = try #require(try await openai.control(.GET, "/_fake/requests") as? [[String: Any]])
                let deletes = log.filter { $0["method"] as? String == "DELETE" }.compactMap { $0["path"] as? String }
                #expect(!deletes.contains { $0.hasSuffix(setup.firstKey.id) }, "the old key was never deleted: \(deletes)")
                let leaks = try await AIProviderSetup.leaks(scenario, secret: "openai-api-key", outputs: [run.stdout, run.stderr],
                                                            extra: [setup.admin, setup.firstKey.value])
                #expect(leaks.isEmpty, "secret values found in: \(leaks)")
            }
        }
    }

    @Test("console-key: the staged key is checked, promoted, verified; the old key's deletion is scheduled after the grace period")
    func consoleKey() async throws {
        try await PythonFake.with("openai") { openai in
            let setup = try await OpenAIFakeProject.make(openai)
            let old = try await OpenAIFakeProject.userKey(openai, project: setup.project, name: "aegis-api (current)")
            let new = try await OpenAIFakeProject.userKey(openai, project: setup.project, name: "aegis-api (rotated)")
            try await Scenario.with(edit: AIProviderSetup.openAIEdit(setup, strategy: "console-key")) { scenario in
                try await AIProviderSetup.seed(scenario, "openai-api-key", current: old.value, pending: new.value)
                let run = try await scenario.rotateInShell("openai", environment: AIProviderSetup.openAIEnvironment(openai, setup))
                #expect(run.stdout.contains("🎉 R-1 completed"), "\(run.stdout)")
                #expect(try await scenario.value("openai-api-key", stage: .current) == new.value)
                #expect(try await scenario.value("openai-api-key", stage: .previous) == old.value)
                #expect(run.stdout.contains("OpenAI accepts the new key"), "\(run.stdout)")
                #expect(run.stdout.contains("the old key \(old.id) keeps working for 1h"), "\(run.stdout)")
                let keys = try await OpenAIFakeProject.keys(openai)
                #expect(keys.first { $0.id == old.id }?.deleted == false, "not deleted before the grace period is over")
                let log = try #require(try await openai.control(.GET, "/_fake/requests") as? [[String: Any]])
                let calls = log.map { "\($0["method"] ?? "") \($0["path"] ?? "")" }.filter { !$0.contains("service_accounts") }
                #expect(calls.first == "GET /v1/models", "the new key was checked before anything else: \(calls)")
                #expect(!calls.contains { $0.hasPrefix("DELETE") }, "\(calls)")
                let outputs = [run.stdout, run.stderr]
                let leaks = try await AIProviderSetup.leaks(scenario, secret: "openai-api-key", outputs: outputs,
                                                            extra: [setup.admin, old.value, new.value])
                #expect(leaks.isEmpty, "secret values found in: \(leaks)")
            }
        }
    }

    @Test("console-key with ai_provider unhealthy: old key current again and never deleted, escalated")
    func consoleKeyRollback() async throws {
        try await PythonFake.with("openai") { openai in
            let setup = try await OpenAIFakeProject.make(openai)
            let old = try await OpenAIFakeProject.userKey(openai, project: setup.project, name: "aegis-api (current)")
            let new = try await OpenAIFakeProject.userKey(openai, project: setup.project, name: "aegis-api (rotated)")
            try await Scenario.with(edit: AIProviderSetup.openAIEdit(setup, strategy: "console-key")) { scenario in
                try await AIProviderSetup.seed(scenario, "openai-api-key", current: old.value, pending: new.value)
                let pods = scenario.behaveAfterRestarts([1: .init(components: ["ai_provider": "error"]), 2: .init(components: ["ai_provider": "ok"])])
                defer { pods.cancel() }
                let run = try await scenario.rotateInShell("openai", environment: AIProviderSetup.openAIEnvironment(openai, setup))
                #expect(run.stdout.contains("↺ R-1 rolled back"), "\(run.stdout)")
                #expect(run.stdout.contains("[#platform-support]"), "\(run.stdout)")
                #expect(try await scenario.value("openai-api-key", stage: .current) == old.value)
                #expect(try await OpenAIFakeProject.keys(openai).first { $0.id == old.id }?.deleted == false)
                let log = try #require(try await openai.control(.GET, "/_fake/requests") as? [[String: Any]])
                #expect(!log.contains { $0["method"] as? String == "DELETE" }, "nothing deleted")
                let leaks = try await AIProviderSetup.leaks(scenario, secret: "openai-api-key", outputs: [run.stdout, run.stderr],
                                                            extra: [setup.admin, old.value, new.value])
                #expect(leaks.isEmpty, "secret values found in: \(leaks)")
            }
        }
    }

    @Test("plan openai-api-key: ready with OPENAI_ADMIN_KEY; names exactly OPENAI_ADMIN_KEY without it")
    func plan() async throws {
        try await PythonFake.with("openai") { openai in
            let setup = try await OpenAIFakeProject.make(openai)
            try await Scenario.with(edit: AIProviderSetup.openAIEdit(setup, strategy: "service-account-key")) { scenario in
                let ready = try await scenario.workspace.run(["plan", "openai-api-key"],
                                                             environment: scenario.environment(AIProviderSetup.openAIEnvironment(openai, setup)))
                #expect(ready.status == 0, "\(ready.stdout)\(ready.stderr)")
                #expect(!ready.stdout.contains("Not ready here"), "\(ready.stdout)")
                #expect(ready.stdout.contains("Mint a new key for service account \(setup.serviceAccount)"), "\(ready.stdout)")
                #expect(ready.stdout.contains("OpenAI GET /v1/models with the new key"), "\(ready.stdout)")

                var without = AIProviderSetup.openAIEnvironment(openai, setup)
                without["OPENAI_ADMIN_KEY"] = nil
                let missing = try await scenario.workspace.run(["plan", "openai-api-key"], environment: scenario.environment(without))
                let text = missing.stdout + missing.stderr
                #expect(text.contains("Not ready here"), "\(text)")
                #expect(missing.status == 5, "plan exits 5 when it cannot run here")
                let reasons = text.components(separatedBy: "Not ready here:").last?.split(separator: "\n").filter { $0.hasPrefix("  - ") } ?? []
                #expect(!reasons.isEmpty && reasons.allSatisfy { $0.contains("OPENAI_ADMIN_KEY is not set") }, "\(reasons)")
                #expect(!text.contains(setup.admin))
            }
        }
    }
}
