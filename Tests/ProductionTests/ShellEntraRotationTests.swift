import AegisCore
import AegisTestServers
import Foundation
import Testing

/// `/rotate entra` in the production shell: Graph addPassword at the Azure fake, the new secret
/// pending in Key Vault (at the same fake, over TLS trusting its throwaway CA), promoted, the
/// deployment restarted at the Kubernetes fake, verified with a client-credentials token request
/// and the aegis-api fake's health, and the old keyId removed only after the grace period, by a
/// later shell's durable timer.
@Suite("production shell: Entra ID client secret in Key Vault", .productionWorld, .serialized, .timeLimit(.minutes(5)))
struct ShellEntraRotationTests {
    static func leakFree(_ scenario: Scenario, _ azure: AzureScenario, outputs: [String]) async throws -> [String] {
        let values = try await azure.secretValues()
        let everything = outputs + [azure.azure.log]
        var found = try await scenario.leaks(outputs: everything)
        found += LeakScanner.leaks(of: values.filter { $0.count >= 16 }, in: LeakScanner.haystacks(scenario.workspace, outputs: everything))
        for value in values where everything.contains(where: { $0.contains(value) }) { found.append("an Azure secret in an output") }
        return found
    }

    @Test("graph: addPassword, pending in Key Vault, verified with a token; after 2s a later shell removes the old keyId")
    func completesAndRemovesOldAfterGrace() async throws {
        try await AzureScenario.with { scenario, azure in
            let oldSecret = azure.app.secret
            let oldKey = azure.app.keyID.lowercased()
            let run = try await scenario.rotateInShell("entra", environment: azure.environment(grace: "2s"))
            #expect(run.stdout.contains("🎉 R-1 completed"), "\(run.stdout)")
            let values = try await azure.values()
            let newSecret = try #require(values.current)
            #expect(newSecret != oldSecret)
            #expect(values.previous == oldSecret)
            #expect(values.latest == newSecret, "Key Vault's latest is the new secret")
            #expect(run.stdout.contains("client-credentials token with the new secret"), "\(run.stdout)")
            #expect(run.stdout.contains("cannot be undone"), "\(run.stdout)")
            #expect(await scenario.restartCount() == 1)
            var keys = try await azure.azure.keyIDs(azure.app.objectID)
            #expect(keys.count == 2 && keys.contains(oldKey), "the old secret keeps working during the grace period")
            #expect(try await azure.tokenEndpointAccepts(oldSecret))
            #expect(try await azure.tokenEndpointAccepts(newSecret))

            try await Task.sleep(for: .seconds(2))
            let later = try scenario.shell(azure.environment(grace: "2s"))
            try await later.waitForOutput("removed the old client secret \(oldKey)", timeout: .seconds(90))
            later.closeInput()
            #expect(try await later.waitForExit() == 0)
            keys = try await azure.azure.keyIDs(azure.app.objectID)
            #expect(!keys.contains(oldKey) && keys.count == 1, "only the new keyId is left")
            #expect(try await !azure.tokenEndpointAccepts(oldSecret), "the token endpoint refuses the old secret")
            #expect(try await azure.tokenEndpointAccepts(newSecret))
            let leaks = try await Self.leakFree(scenario, azure, outputs: [run.stdout, run.stderr, later.stdout, later.stderr])
            #expect(leaks.isEmpty, "secret values found in: \(leaks)")
        }
    }

    @Test("identity_provider unhealthy after the restart: old secret current and newest again, old keyId never removed, escalated")
    func rollbackKeepsOldSecret() async throws {
        try await AzureScenario.with { scenario, azure in
            let oldSecret = azure.app.secret
            let oldKey = azure.app.keyID.lowercased()
            let pods = scenario.behaveAfterRestarts([1: .init(components: ["identity_provider": "error"]), 2: .init(components: ["identity_provider": "ok"])])
            defer { pods.cancel() }
            let run = try await scenario.rotateInShell("entra", environment: azure.environment(grace: "2s"))
            #expect(run.stdout.contains("↺ R-1 rolled back"), "\(run.stdout)")
            #expect(run.stdout.contains("[#platform-support]"), "\(run.stdout)")
            let values = try await azure.values()
            #expect(values.current == oldSecret, "the old secret is current again")
            #expect(values.latest == oldSecret, "and Key Vault's newest enabled version again")
            #expect(try await azure.azure.keyIDs(azure.app.objectID) == [oldKey], "the new password was removed, the old one never")
            #expect(try await azure.tokenEndpointAccepts(oldSecret))
            let removals = try await azure.azure.requests().filter { ($0["path"] as? String)?.hasSuffix("/removePassword") == true }
            #expect(removals.count == 1, "only the new password was removed: \(removals)")
            let leaks = try await Self.leakFree(scenario, azure, outputs: [run.stdout, run.stderr])
            #expect(leaks.isEmpty, "secret values found in: \(leaks)")
        }
    }

    @Test("plan entra: ready with the Azure settings; names exactly what is missing otherwise")
    func plan() async throws {
        try await AzureScenario.with { scenario, azure in
            let ready = try await scenario.workspace.run(["plan", "entra"], environment: scenario.environment(azure.environment()))
            #expect(ready.status == 0, "\(ready.stdout)\(ready.stderr)")
            #expect(ready.stdout.contains("Add a new client secret to application \(azure.app.objectID)"), "\(ready.stdout)")
            var missing = scenario.environment(azure.environment())
            missing["AZURE_CLIENT_SECRET"] = nil
            missing["AZURE_TENANT_ID"] = nil
            let notReady = try await scenario.workspace.run(["plan", "entra"], environment: missing)
            let text = notReady.stdout + notReady.stderr
            #expect(notReady.status == 5, "plan exits 5 when it cannot run here")
            #expect(text.contains("AZURE_TENANT_ID, AZURE_CLIENT_SECRET (or AZURE_FEDERATED_TOKEN_FILE) are not set"), "\(text)")
            #expect(!text.contains("AZURE_CLIENT_ID,"), "AZURE_CLIENT_ID is set and not named: \(text)")
        }
    }
}
