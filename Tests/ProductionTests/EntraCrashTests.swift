import AegisCore
import AegisTestServers
import Foundation
import Testing

/// SIGKILL the production shell right after every step of the Entra `graph` strategy, start it
/// again, and check that the rotation completed with no password orphaned at the app (every keyId
/// it holds is one the vault knows) and nothing removed before verification (the grace period is
/// an hour, so the old password must still be there). Also: a Key Vault write that fails after
/// addPassword minted a secret leaves an orphan the step's retry removes before adding again.
@Suite("production crash recovery: Entra graph strategy", .productionWorld, .serialized, .timeLimit(.minutes(15)))
struct EntraCrashTests {
    static let steps = ["add-password", "promote", "restart", "verify", "remove-old-password"]

    @Test("SIGKILL after the step, restart: completed, no orphan password, the old one not removed yet", arguments: steps)
    func crashAfterStep(step: String) async throws {
        try await AzureScenario.with { scenario, azure in
            #expect(try scenario.definition("entra-client-secret").steps.map(\.name) == Self.steps, "crash after every step of graph")
            let environment = azure.environment(grace: "1h")
            let point = "after:\(step)"
            try await scenario.requestAsOperator("/rotate entra crash test", environment: environment)
            let first = try scenario.shell(environment.merging(["AEGIS_CRASH_POINT": point]) { $1 })
            first.send("approve R-1")
            #expect(try await first.waitForExit(timeout: .seconds(60)) == -SIGKILL, "expected SIGKILL at \(point)\n\(first.stdout)\n\(first.stderr)")

            let second = try scenario.shell(environment)
            second.closeInput()
            #expect(try await second.waitForExit(timeout: .seconds(90)) == 0, "\(second.stdout)\n\(second.stderr)")
            let status = try await scenario.status("R-1")
            #expect(status.hasSuffix(": completed"), "after \(point): \(status)\n\(second.stdout)")

            let values = try await azure.values()
            #expect(values.current != nil && values.current != azure.app.secret, "the new secret is current after \(point)")
            #expect(values.previous == azure.app.secret && values.latest == values.current)
            let keys = try await azure.keyIDs()
            #expect(keys.app.isSubset(of: keys.stored), "an orphan password after \(point): app \(keys.app), store \(keys.stored)")
            #expect(keys.app.count == 2 && keys.app.contains(azure.app.keyID.lowercased()), "the old password is kept during the grace period")
            let removals = try await azure.azure.requests().filter { ($0["path"] as? String)?.hasSuffix("/removePassword") == true }
            #expect(removals.isEmpty, "nothing is removed before the grace period: \(removals)")
            #expect(try await azure.tokenEndpointAccepts(try #require(values.current)))
            let leaks = try await ShellEntraRotationTests.leakFree(scenario, azure, outputs: [first.stdout, first.stderr, second.stdout, second.stderr])
            #expect(leaks.isEmpty, "secret values found in: \(leaks)")
        }
    }

    @Test("the Key Vault write fails after addPassword: the retry removes the unstored password and adds again")
    func lostStoreWrite() async throws {
        try await AzureScenario.with { scenario, azure in
            try await azure.azure.fail(method: "PUT", pathPrefix: "/secrets/\(AzureScenario.secretName)", status: 503)
            let run = try await scenario.rotateInShell("entra", environment: azure.environment(grace: "1h"))
            #expect(run.stdout.contains("🎉 R-1 completed"), "\(run.stdout)")
            #expect(run.stdout.contains("its secret was never stored"), "\(run.stdout)")
            let keys = try await azure.keyIDs()
            #expect(keys.app.isSubset(of: keys.stored), "an orphan password: app \(keys.app), store \(keys.stored)")
            #expect(keys.app.count == 2)
            let calls = try await azure.azure.requests().compactMap { entry -> String? in
                guard let path = entry["path"] as? String, path.contains("Password") else { return nil }
                return path.split(separator: "/").last.map(String.init)
            }
            #expect(calls == ["addPassword", "removePassword", "addPassword"], "\(calls)")
            let leaks = try await ShellEntraRotationTests.leakFree(scenario, azure, outputs: [run.stdout, run.stderr])
            #expect(leaks.isEmpty, "secret values found in: \(leaks)")
        }
    }
}
