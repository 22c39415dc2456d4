import AegisCore
import AegisSlackTestSupport
import AegisTestServers
import Foundation
import SlackFake
import Testing

/// `/rotate entra` through the Slack fake with `AEGIS_ENV=production`: Graph and Key Vault at the
/// Azure fake, then the bot's own durable timer removes the old keyId after the grace period.
@Suite("production Slack bot: Entra ID client secret", .productionWorld, .serialized, .timeLimit(.minutes(5)))
struct SlackEntraRotationTests {
    @Test("graph through Slack: verified with a token, then the old keyId removed after 3s; nothing leaks")
    func graphThroughSlack() async throws {
        try await AzureScenario.with { scenario, azure in
            let oldSecret = azure.app.secret
            let oldKey = azure.app.keyID.lowercased()
            try await scenario.withSlackBot(azure.environment(grace: "3s")) { bot in
                let request = try await scenario.rotateInSlack(bot, "entra yearly rotation")
                let thread = await bot.threadText(request)
                #expect(thread.contains("Verification after rotation (R-1): passed"), "\(thread)")
                #expect(thread.contains("client-credentials token with the new secret"), "\(thread)")
                #expect(thread.contains("cannot be undone"), "\(thread)")
                let newSecret = try #require(try await azure.values().current)
                #expect(newSecret != oldSecret)
                #expect(try await azure.tokenEndpointAccepts(oldSecret), "the old secret works during the grace period")

                try await bot.waitForThread(request, containing: "removed the old client secret \(oldKey)", timeout: .seconds(90))
                #expect(try await !azure.tokenEndpointAccepts(oldSecret), "the token endpoint refuses the old secret")
                #expect(try await azure.tokenEndpointAccepts(newSecret))
                #expect(try await azure.azure.keyIDs(azure.app.objectID).count == 1)

                let values = try await azure.secretValues() + scenario.allSecretValues()
                let leaks = await bot.leaks(of: values.filter { $0.count >= 16 })
                #expect(leaks.isEmpty, "secret values found in: \(leaks)")
                #expect(await bot.messages(in: People.platformSupport).isEmpty, "an escalation was posted")
            }
        }
    }
}
