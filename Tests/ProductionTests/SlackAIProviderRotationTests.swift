import AegisAWS
import AegisCore
import AegisSlackTestSupport
import AegisTestServers
import Foundation
import SlackFake
import Testing

/// The Slack bot in production mode (Socket Mode against the Slack fake) rotating the AI
/// provider keys against their fakes, moto, the Kubernetes fake and the aegis-api fake: alice
/// asks, carol approves, the thread tells the story, and no key reaches Slack, the log or the
/// state store.
@Suite("production Slack bot: OpenAI and Anthropic keys", .productionWorld, .serialized, .timeLimit(.minutes(8)))
struct SlackAIProviderRotationTests {
    @Test("OpenAI service-account-key through Slack: minted, verified, the old key's deletion scheduled")
    func openAIServiceAccountKey() async throws {
        try await PythonFake.with("openai") { openai in
            let setup = try await OpenAIFakeProject.make(openai)
            try await Scenario.with(edit: AIProviderSetup.openAIEdit(setup, strategy: "service-account-key")) { scenario in
                try await AIProviderSetup.seed(scenario, "openai-api-key", current: setup.firstKey.value)
                try await scenario.withSlackBot(AIProviderSetup.openAIEnvironment(openai, setup)) { bot in
                    let request = try await scenario.rotateInSlack(bot, "openai quarterly rotation")
                    let newValue = try #require(try await scenario.value("openai-api-key", stage: .current))
                    #expect(newValue != setup.firstKey.value)
                    #expect(try await AIProviderSetup.openAIModelsStatus(openai, key: newValue) == 200)
                    let thread = await bot.threadText(request)
                    #expect(thread.contains("minted key"), "\(thread)")
                    #expect(thread.contains("OpenAI GET /v1/models with the new key"), "\(thread)")
                    #expect(thread.contains("its deletion is scheduled for"), "\(thread)")
                    #expect(thread.contains("cannot be undone"), "\(thread)")
                    let keys = try await OpenAIFakeProject.keys(openai).filter { $0.serviceAccount == setup.serviceAccount && !$0.deleted }
                    #expect(keys.count == 2, "the old key lives through the grace period")
                    try await Self.expectNoLeak(scenario, bot, secret: "openai-api-key", extra: [setup.admin, setup.firstKey.value, newValue])
                }
            }
        }
    }

    @Test("Anthropic console-key through Slack (key staged in the store): checked, verified, the old key inactive")
    func anthropicConsoleKey() async throws {
        try await Scenario.with { scenario in
            try await PythonFake.with("anthropic") { anthropic in
                let admin = try await AIProviderSetup.anthropicAdmin(anthropic)
                let old = try await AIProviderSetup.anthropicConsoleKey(anthropic, name: "aegis-api (current)")
                let new = try await AIProviderSetup.anthropicConsoleKey(anthropic, name: "aegis-api (rotated)")
                try await AIProviderSetup.seed(scenario, "anthropic-api-key", current: old.value, pending: new.value)
                try await scenario.withSlackBot(AIProviderSetup.anthropicEnvironment(anthropic, admin: admin)) { bot in
                    let request = try await scenario.rotateInSlack(bot, "anthropic quarterly rotation")
                    #expect(try await scenario.value("anthropic-api-key", stage: .current) == new.value)
                    let statuses = try await AIProviderSetup.anthropicStatuses(anthropic)
                    #expect(statuses[old.id] == "inactive" && statuses[new.id] == "active", "\(statuses)")
                    let thread = await bot.threadText(request)
                    #expect(thread.contains("Anthropic accepts the new key"), "\(thread)")
                    #expect(thread.contains("is inactive (it can be set active again)"), "\(thread)")
                    try await Self.expectNoLeak(scenario, bot, secret: "anthropic-api-key", extra: [admin, old.value, new.value])
                }
            }
        }
    }

    /// No key (stored versions, the provider's admin key, the scenario's own secrets) in what the
    /// bot sent to Slack, acked, logged or stored; and no escalation.
    static func expectNoLeak(_ scenario: Scenario, _ bot: SlackHarness, secret: String, extra: [String]) async throws {
        let values = try await scenario.allSecretValues() + AIProviderSetup.storedValues(scenario, secret) + extra
        #expect(await bot.leaks(of: ["rotation completed"]).contains("bot.log"), "the scan sees the log")
        let leaks = await bot.leaks(of: values)
        #expect(leaks.isEmpty, "secret values found in: \(leaks)")
        #expect(await bot.messages(in: People.platformSupport).isEmpty, "an escalation was posted")
    }
}
