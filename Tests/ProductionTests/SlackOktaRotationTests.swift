import AegisAWS
import AegisCore
import AegisSlackTestSupport
import AegisTestServers
import Foundation
import NIOHTTP1
import SlackFake
import Testing

/// `/rotate okta` (console-token) through the Slack fake in production mode: alice asks, carol
/// approves, the bot asks for the new token; alice hands it over in the modal (or the operator
/// stages it in Secrets Manager at moto), the bot checks it at the Okta fake, promotes, restarts,
/// verifies, and only then revokes the old token.
@Suite("production Slack bot: Okta API token", .productionWorld, .serialized, .timeLimit(.minutes(6)))
struct SlackOktaRotationTests {
    static func console(_ okta: PythonFake, _ name: String) async throws -> (id: String, value: String) {
        let made = try #require(try await okta.control(.POST, "/_fake/tokens", ["name": name]) as? [String: Any])
        return (try #require(made["id"] as? String), try #require(made["value"] as? String))
    }

    @Test("modal: the requester hands the new token over in the modal; checked, promoted, verified, old token revoked; no token in Slack or the log")
    func modal() async throws {
        try await PythonFake.with("okta") { okta in
            try await Scenario.with { scenario in
                let old = try await Self.console(okta, "aegis-api (current)")
                let new = try await Self.console(okta, "aegis-api (rotated)")
                let storage = try scenario.definition("okta-api-token").storage
                let oldVersion = SecretGenerator.versionID()
                _ = try await scenario.store.createSecret(name: storage.name, versionID: oldVersion, value: SecretValue(utf8: old.value))

                try await scenario.withSlackBot(["OKTA_ORG_URL": okta.url]) { bot in
                    let fake = bot.fake
                    let request = try await bot.requestAndApprove("okta quarterly rotation")
                    let ask = try await fake.waitForMessage("key request") { $0.threadTS == request.ts && $0.allText.contains("Provide the new key") }
                    #expect(ask.allText.contains("admin/access/api/tokens"), "the request links the Admin Console: \(ask.allText)")
                    try await fake.click(user: People.alice, channel: People.ops, message: ask, actionID: "provide-key", value: "R-1")
                    try await fake.waitUntil("alice's modal") { await $0.views.count == 1 }
                    let view = await fake.views[0]
                    let submitted = try await fake.submitView(user: People.alice, view: view, values: ["key_block": ["key_input": new.value]])
                    #expect(try await fake.waitForAck(submitted).payload == nil, "the modal closes")
                    try await bot.waitForThread(request, containing: "🎉 R-1 completed", timeout: .seconds(120))

                    let thread = await bot.threadText(request)
                    #expect(thread.contains("Okta accepts the new token"), "\(thread)")
                    #expect(thread.contains("cannot be undone"), "\(thread)")
                    #expect(try await scenario.value("okta-api-token", stage: .current) == new.value)
                    #expect(try await scenario.version("okta-api-token", .previous) == oldVersion)
                    let revoked = try await ShellOktaRotationTests.revoked(okta)
                    #expect(revoked[old.id] == true && revoked[new.id] == false, "\(revoked)")
                    #expect(await scenario.restartCount() == 1)
                    let log = try #require(try await okta.control(.GET, "/_fake/requests") as? [[String: Any]])
                    let calls = log.map { "\($0["method"] ?? "") \($0["path"] ?? "")" }
                    #expect(calls == ["GET /api/v1/users/me", "DELETE /api/v1/api-tokens/current"], "\(calls)")

                    let values = [old.value, new.value] + (try await scenario.allSecretValues())
                    let leaks = await bot.leaks(of: values)
                    #expect(leaks.isEmpty, "a token leaked into: \(leaks)")
                    #expect(!okta.log.contains(old.value) && !okta.log.contains(new.value))
                }
            }
        }
    }

    @Test("staged in the store: the operator stages the new token in Secrets Manager; the bot completes without the modal")
    func staged() async throws {
        try await PythonFake.with("okta") { okta in
            try await Scenario.with { scenario in
                let tokens = try await ShellOktaRotationTests.stage(scenario, okta)
                try await scenario.withSlackBot(["OKTA_ORG_URL": okta.url]) { bot in
                    let request = try await bot.requestAndApprove("okta quarterly rotation")
                    try await bot.waitForThread(request, containing: "🎉 R-1 completed", timeout: .seconds(120))
                    #expect(await bot.fake.views.isEmpty, "no modal was needed")
                    #expect(try await scenario.value("okta-api-token", stage: .current) == tokens.new.value)
                    #expect(try await scenario.value("okta-api-token", stage: .previous) == tokens.old.value)
                    let revoked = try await ShellOktaRotationTests.revoked(okta)
                    #expect(revoked[tokens.old.id] == true && revoked[tokens.new.id] == false, "\(revoked)")
                    let values = [tokens.old.value, tokens.new.value] + (try await scenario.allSecretValues())
                    let leaks = await bot.leaks(of: values)
                    #expect(leaks.isEmpty, "a token leaked into: \(leaks)")
                    #expect(!okta.log.contains(tokens.old.value) && !okta.log.contains(tokens.new.value))
                }
            }
        }
    }
}
