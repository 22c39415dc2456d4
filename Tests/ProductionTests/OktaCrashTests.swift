import AegisAWS
import AegisCore
import AegisOkta
import AegisTestServers
import Foundation
import NIOHTTP1
import Testing

/// SIGKILL the production shell right after every step of both Okta strategies, start it again,
/// and check the restarted bot finished the rotation with Okta and the store in agreement:
/// `console-token` (the new token staged in the store by the operator) and `oauth-service-app`
/// (grace 1h, so the old JWK stays until its timer). No JWK is orphaned (the app's keys at the
/// fake are exactly the ones the store knows), and nothing is revoked or retired before it may be.
@Suite("production crash recovery: Okta, SIGKILL after every step", .productionWorld, .serialized, .timeLimit(.minutes(20)))
struct OktaCrashTests {
    static let consoleSteps = ["await-provided-key", "okta-token-check", "promote", "restart", "verify", "okta-token-revoke"]
    static let serviceAppSteps = ["add-app-key", "promote", "restart", "verify", "retire-old-app-key"]

    /// Kills the first shell after `step`, resumes in a second; returns both.
    static func crashAndResume(_ scenario: Scenario, after step: String, environment: [String: String]) async throws -> (TestProcess, TestProcess) {
        let point = "after:\(step)"
        try await scenario.requestAsOperator("/rotate okta crash test", environment: environment)
        let first = try scenario.shell(environment.merging(["AEGIS_CRASH_POINT": point]) { $1 })
        first.send("approve R-1")
        let crashed = try await first.waitForExit(timeout: .seconds(60))
        #expect(crashed == -SIGKILL, "expected SIGKILL at \(point)\n\(first.stdout)\n\(first.stderr)")
        #expect(first.stderr.contains("crash point \(point) reached"), "\(first.stderr)")
        let second = try scenario.shell(environment)
        second.closeInput()
        let recovered = try await second.waitForExit(timeout: .seconds(90))
        #expect(recovered == 0, "recovery after \(point) exited \(recovered)\n\(second.stdout)\n\(second.stderr)")
        let status = try await scenario.status("R-1")
        #expect(status.hasSuffix(": completed"), "after \(point): \(status)\n\(second.stdout)")
        return (first, second)
    }

    @Test("console-token (staged in the store): SIGKILL after the step, restart, completed; the old token revoked once, after the check", arguments: consoleSteps)
    func consoleToken(step: String) async throws {
        try await PythonFake.with("okta") { okta in
            try await Scenario.with { scenario in
                #expect(try scenario.definition("okta-api-token").steps.map(\.name) == Self.consoleSteps)
                let tokens = try await ShellOktaRotationTests.stage(scenario, okta)
                let (first, second) = try await Self.crashAndResume(scenario, after: step, environment: ["OKTA_ORG_URL": okta.url])
                #expect(try await scenario.value("okta-api-token", stage: .current) == tokens.new.value, "after:\(step)")
                #expect(try await scenario.value("okta-api-token", stage: .previous) == tokens.old.value, "after:\(step)")
                let revoked = try await ShellOktaRotationTests.revoked(okta)
                #expect(revoked[tokens.old.id] == true, "the old token is revoked after:\(step)")
                #expect(revoked[tokens.new.id] == false, "the new token works after:\(step)")
                let log = try #require(try await okta.control(.GET, "/_fake/requests") as? [[String: Any]])
                let checks = log.indices.filter { log[$0]["path"] as? String == "/api/v1/users/me" && log[$0]["status"] as? Int == 200 }
                let revocations = log.indices.filter { log[$0]["method"] as? String == "DELETE" && log[$0]["status"] as? Int == 204 }
                #expect(revocations.count == 1, "one revocation after:\(step): \(log)")
                #expect(!checks.isEmpty && (revocations.first ?? -1) > (checks.last ?? Int.max), "revoked only after the check, after:\(step)")
                let outputs = [first.stdout, first.stderr, second.stdout, second.stderr, okta.log]
                #expect(!outputs.contains { $0.contains(tokens.old.value) || $0.contains(tokens.new.value) }, "a token value leaked after:\(step)")
                let leaks = LeakScanner.leaks(of: [tokens.old.value, tokens.new.value] + (try await scenario.allSecretValues()),
                                              in: LeakScanner.haystacks(scenario.workspace, outputs: outputs))
                #expect(leaks.isEmpty, "secret values found after:\(step) in: \(leaks)")
            }
        }
    }

    @Test("oauth-service-app: SIGKILL after the step, restart, completed; the app's JWKS is exactly the old and the new key", arguments: serviceAppSteps)
    func serviceApp(step: String) async throws {
        try await PythonFake.with("okta") { okta in
            let app = try await OktaServiceApp.make(okta)
            try await Scenario.with(edit: app.edit) { scenario in
                #expect(try scenario.definition("okta-api-token").steps.map(\.name) == Self.serviceAppSteps)
                let oldVersion = try await app.seed(scenario)
                let (first, second) = try await Self.crashAndResume(scenario, after: step, environment: app.environment(grace: "1h"))
                let current = try #require(try await scenario.version("okta-api-token", .current))
                #expect(current != oldVersion, "after:\(step)")
                #expect(try await scenario.version("okta-api-token", .previous) == oldVersion, "after:\(step)")
                let storage = try scenario.definition("okta-api-token").storage
                let pending = try await scenario.store.versions(secret: storage).filter { $0.stages.contains(.pending) }
                #expect(pending.isEmpty, "stray pending after:\(step)")
                let new = try await app.storedKey(scenario, current)
                let keys = try await app.keys()
                #expect(Set(keys.values.map { $0.kid }) == [app.initial.kid, new.kid] && keys.count == 2, "no orphan JWK after:\(step): \(keys)")
                #expect(keys.values.allSatisfy { $0.status == "ACTIVE" }, "both keys active through the grace period after:\(step): \(keys)")
                #expect(await app.accepts(new), "the new key signs after:\(step)")
                #expect(await app.accepts(app.initial), "the old key still works during the grace period after:\(step)")
                let calls = try await app.calls()
                #expect(!calls.contains { $0.hasPrefix("DELETE") || $0.hasSuffix("/lifecycle/deactivate") }, "nothing retired before the grace period after:\(step): \(calls)")
                let outputs = [first.stdout, first.stderr, second.stdout, second.stderr, okta.log]
                let values = try await app.secretValues(scenario)
                let leaks = LeakScanner.leaks(of: values, in: LeakScanner.haystacks(scenario.workspace, outputs: outputs))
                #expect(leaks.isEmpty, "secret values found after:\(step) in: \(leaks)")
            }
        }
    }
}
