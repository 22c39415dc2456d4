import AegisAWS
import AegisCore
import AegisTestServers
import Foundation
import NIOHTTP1
import Testing

/// `/rotate okta` in the production shell: the new SSWS token is staged as pending in Secrets
/// Manager (at moto) by the operator, checked at the Okta fake, promoted, the deployment restarted
/// at the Kubernetes fake, verified at the aegis-api fake, and only then is the old token revoked.
@Suite("production shell: Okta API token", .productionWorld, .serialized, .timeLimit(.minutes(5)))
struct ShellOktaRotationTests {
    struct Tokens {
        var old: (id: String, value: String)
        var new: (id: String, value: String)
    }

    /// The current token in the store, and a new one made "in the Admin Console" and staged as pending.
    static func stage(_ scenario: Scenario, _ okta: PythonFake) async throws -> Tokens {
        func console(_ name: String) async throws -> (id: String, value: String) {
            let made = try #require(try await okta.control(.POST, "/_fake/tokens", ["name": name]) as? [String: Any])
            return (try #require(made["id"] as? String), try #require(made["value"] as? String))
        }
        let old = try await console("aegis-api (current)")
        let new = try await console("aegis-api (rotated)")
        let storage = try scenario.definition("okta-api-token").storage
        _ = try await scenario.store.createSecret(name: storage.name, versionID: SecretGenerator.versionID(), value: SecretValue(utf8: old.value))
        try await scenario.store.putPending(secret: storage, versionID: SecretGenerator.versionID(), value: SecretValue(utf8: new.value))
        return Tokens(old: old, new: new)
    }

    static func revoked(_ okta: PythonFake) async throws -> [String: Bool] {
        let tokens = try #require(try await okta.control(.GET, "/_fake/tokens") as? [[String: Any]])
        return Dictionary(uniqueKeysWithValues: tokens.compactMap { token in
            (token["id"] as? String).map { ($0, token["revoked"] as? Bool ?? false) }
        })
    }

    @Test("console-token: new token checked, promoted, verified; then the old token revokes itself")
    func consoleToken() async throws {
        try await Scenario.with { scenario in
            try await PythonFake.with("okta") { okta in
                let tokens = try await Self.stage(scenario, okta)
                let run = try await scenario.rotateInShell("okta", environment: ["OKTA_ORG_URL": okta.url])
                #expect(run.stdout.contains("🎉 R-1 completed"), "\(run.stdout)")
                #expect(try await scenario.value("okta-api-token", stage: .current) == tokens.new.value)
                #expect(try await scenario.value("okta-api-token", stage: .previous) == tokens.old.value)
                #expect(run.stdout.contains("Okta accepts the new token"), "\(run.stdout)")
                #expect(run.stdout.contains("cannot be undone"), "\(run.stdout)")
                let revoked = try await Self.revoked(okta)
                #expect(revoked[tokens.old.id] == true, "the old token is revoked at Okta")
                #expect(revoked[tokens.new.id] == false, "the new token still works")
                #expect(await scenario.restartCount() == 1)
                // The check came before anything changed; the revocation only after verification.
                let log = try #require(try await okta.control(.GET, "/_fake/requests") as? [[String: Any]])
                let calls = log.map { "\($0["method"] ?? "") \($0["path"] ?? "")" }
                #expect(calls == ["GET /api/v1/users/me", "DELETE /api/v1/api-tokens/current"], "\(calls)")
                let outputs = [run.stdout, run.stderr, okta.log]
                #expect(!outputs.contains { $0.contains(tokens.old.value) || $0.contains(tokens.new.value) }, "a token value leaked")
                let leaks = try await scenario.leaks(outputs: [run.stdout, run.stderr])
                #expect(leaks.isEmpty, "secret values found in: \(leaks)")
            }
        }
    }

    @Test("identity_provider unhealthy after the restart: old token current again and never revoked, escalated")
    func rollbackKeepsOldToken() async throws {
        try await Scenario.with { scenario in
            try await PythonFake.with("okta") { okta in
                let tokens = try await Self.stage(scenario, okta)
                let pods = scenario.behaveAfterRestarts([1: .init(components: ["identity_provider": "error"]), 2: .init(components: ["identity_provider": "ok"])])
                defer { pods.cancel() }
                let run = try await scenario.rotateInShell("okta", environment: ["OKTA_ORG_URL": okta.url])
                #expect(run.stdout.contains("↺ R-1 rolled back"), "\(run.stdout)")
                #expect(run.stdout.contains("[#platform-support]"), "\(run.stdout)")
                #expect(try await scenario.value("okta-api-token", stage: .current) == tokens.old.value)
                let revoked = try await Self.revoked(okta)
                #expect(revoked[tokens.old.id] == false, "the old token was never revoked")
                let log = try #require(try await okta.control(.GET, "/_fake/requests") as? [[String: Any]])
                #expect(!log.contains { $0["method"] as? String == "DELETE" }, "no revocation before a passed verification")
                let leaks = try await scenario.leaks(outputs: [run.stdout, run.stderr])
                #expect(leaks.isEmpty, "secret values found in: \(leaks)")
            }
        }
    }

    @Test("without OKTA_ORG_URL, plan and the request name the missing setting")
    func notReadyWithoutOrg() async throws {
        try await Scenario.with { scenario in
            let plan = try await scenario.workspace.run(["plan", "okta"], environment: scenario.environment())
            #expect((plan.stdout + plan.stderr).contains("OKTA_ORG_URL is not set"), "\(plan.stdout)\(plan.stderr)")
            #expect(plan.status == 5, "plan exits 5 when the plan cannot run here, so scripts can gate on it")
            let ready = try await scenario.workspace.run(["plan", "okta"], environment: scenario.environment(["OKTA_ORG_URL": "https://acme.okta.com"]))
            #expect(ready.status == 0, "\(ready.stdout)\(ready.stderr)")
            #expect(!ready.stdout.contains("Not ready here"), "\(ready.stdout)")
        }
    }
}
