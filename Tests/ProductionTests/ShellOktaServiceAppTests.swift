import AegisAWS
import AegisCore
import AegisOkta
import AegisTestServers
import Foundation
import NIOHTTP1
import Testing

/// `/rotate okta` with strategy `oauth-service-app` in the production shell: a new key pair for
/// the service app (JWK added and activated at the Okta fake, private key pending in Secrets
/// Manager at moto), promoted, the deployment restarted, verified with a client-credentials token
/// request signed by the new key, and the old JWK retired by a durable timer after the grace
/// period, in a later shell.
@Suite("production shell: Okta service app key pair", .productionWorld, .serialized, .timeLimit(.minutes(6)))
struct ShellOktaServiceAppTests {
    @Test("oauth-service-app: new JWK active and verified; old key works through the grace period; a later shell retires it and the old key is refused")
    func serviceAppKey() async throws {
        try await PythonFake.with("okta") { okta in
            let app = try await OktaServiceApp.make(okta)
            try await Scenario.with(edit: app.edit) { scenario in
                let oldVersion = try await app.seed(scenario)
                let run = try await scenario.rotateInShell("okta", environment: app.environment(grace: "2s"))
                #expect(run.stdout.contains("🎉 R-1 completed"), "\(run.stdout)")
                #expect(run.stdout.contains("Okta client-credentials token request signed with the new key"), "\(run.stdout)")
                #expect(run.stdout.contains("scheduled"), "\(run.stdout)")
                let newVersion = try #require(try await scenario.version("okta-api-token", .current))
                #expect(newVersion != oldVersion)
                #expect(try await scenario.version("okta-api-token", .previous) == oldVersion)
                let new = try await app.storedKey(scenario, newVersion)
                #expect(new.kid != app.initial.kid)
                var keys = try await app.keys()
                #expect(keys.count == 2, "old and new key: \(keys)")
                #expect(keys[app.initialKeyID]?.status == "ACTIVE", "the old key stays active through the grace period")
                #expect(keys.values.contains { $0.kid == new.kid && $0.status == "ACTIVE" })
                #expect(await app.accepts(new), "the new key signs a token request")
                #expect(await app.accepts(app.initial), "the old key still works until the grace period ends")
                #expect(await scenario.restartCount() == 1)
                let calls = try await app.calls()
                #expect(!calls.contains { $0.hasPrefix("DELETE") || $0.hasSuffix("/lifecycle/deactivate") }, "nothing retired yet: \(calls)")
                let added = try #require(calls.firstIndex { $0 == "POST /api/v1/apps/\(app.id)/credentials/jwks" })
                let verified = try #require(calls.firstIndex { $0 == "POST /oauth2/v1/token" })
                #expect(added < verified, "\(calls)")

                try await Task.sleep(for: .seconds(2))
                let later = try scenario.shell(app.environment(grace: "2s"))
                try await later.waitForOutput("deactivated and deleted old JWK \(app.initialKeyID)", timeout: .seconds(90))
                later.closeInput()
                #expect(try await later.waitForExit() == 0)
                keys = try await app.keys()
                #expect(keys[app.initialKeyID] == nil, "the old JWK is deleted")
                #expect(keys.count == 1)
                #expect(await app.accepts(app.initial) == false, "a token request signed with the old key is refused")
                #expect(await app.accepts(new))

                let outputs = [run.stdout, run.stderr, later.stdout, later.stderr, okta.log]
                let values = try await app.secretValues(scenario)
                #expect(!outputs.contains { output in values.contains { output.contains($0) } }, "a key or the admin token leaked")
                let leaks = LeakScanner.leaks(of: values, in: LeakScanner.haystacks(scenario.workspace, outputs: outputs))
                #expect(leaks.isEmpty, "secret values found in: \(leaks)")
            }
        }
    }

    @Test("identity_provider unhealthy: old key current, old JWK still active, new JWK gone, escalated")
    func rollbackKeepsOldKey() async throws {
        try await PythonFake.with("okta") { okta in
            let app = try await OktaServiceApp.make(okta)
            try await Scenario.with(edit: app.edit) { scenario in
                let oldVersion = try await app.seed(scenario)
                let pods = scenario.behaveAfterRestarts([1: .init(components: ["identity_provider": "error"]), 2: .init(components: ["identity_provider": "ok"])])
                defer { pods.cancel() }
                let run = try await scenario.rotateInShell("okta", environment: app.environment())
                #expect(run.stdout.contains("↺ R-1 rolled back"), "\(run.stdout)")
                #expect(run.stdout.contains("[#platform-support]"), "\(run.stdout)")
                #expect(try await scenario.version("okta-api-token", .current) == oldVersion)
                let keys = try await app.keys()
                #expect(keys.count == 1 && keys[app.initialKeyID]?.status == "ACTIVE", "only the old JWK, active: \(keys)")
                #expect(await app.accepts(app.initial))
                let calls = try await app.calls()
                #expect(!calls.contains { $0.contains(app.initialKeyID) && !$0.hasPrefix("GET") }, "the old JWK was never touched: \(calls)")
                let values = try await app.secretValues(scenario)
                let outputs = [run.stdout, run.stderr, okta.log]
                #expect(!outputs.contains { output in values.contains { output.contains($0) } }, "a key or the admin token leaked")
                let leaks = LeakScanner.leaks(of: values, in: LeakScanner.haystacks(scenario.workspace, outputs: outputs))
                #expect(leaks.isEmpty, "secret values found in: \(leaks)")
            }
        }
    }

    @Test("without OKTA_ADMIN_TOKEN, plan names it; with it, plan does not")
    func notReadyWithoutAdminToken() async throws {
        try await PythonFake.with("okta") { okta in
            let app = try await OktaServiceApp.make(okta)
            try await Scenario.with(edit: app.edit) { scenario in
                let plan = try await scenario.workspace.run(["plan", "okta"], environment: scenario.environment(["OKTA_ORG_URL": okta.url]))
                #expect((plan.stdout + plan.stderr).contains("OKTA_ADMIN_TOKEN"), "\(plan.stdout)\(plan.stderr)")
                #expect(plan.status == 5, "plan exits 5 when it cannot run here")
                let ready = try await scenario.workspace.run(["plan", "okta"], environment: scenario.environment(app.environment()))
                #expect(!(ready.stdout + ready.stderr).contains("OKTA_ADMIN_TOKEN is not set"), "\(ready.stdout)\(ready.stderr)")
                #expect(ready.status == 0, "\(ready.stdout)\(ready.stderr)")
            }
        }
    }
}
