import AegisTestServers
import Foundation
import Testing

@Suite("CLI commands and exit codes")
struct CLITests {
    @Test func listAndPlan() async throws {
        let workspace = try Workspace()
        let list = try await workspace.run(["list", "--json"])
        #expect(list.status == 0)
        let rows = try JSONSerialization.jsonObject(with: Data(list.stdout.utf8)) as? [[String: String]]
        #expect(rows?.count == 9)
        #expect(rows?.first { $0["id"] == "okta-api-token" }?["aliases"] == "okta")
        let table = try await workspace.run(["list"])
        #expect(table.stdout.contains("jwt-signing-key") && table.stdout.contains("aws-secrets-manager aegis/jwt-signing-key"))
        let plan = try await workspace.run(["plan", "jwt"])
        #expect(plan.status == 0)
        #expect(plan.stdout.contains("Patch configmap aegis-config"))
        let leaked = try await workspace.run(["plan", "jwt", "--leaked"])
        #expect(leaked.stdout.contains("at once (leak response: no grace)"))
        let unknown = try await workspace.run(["plan", "okat"])
        #expect(unknown.status == 3)
        #expect(unknown.stderr.contains("Did you mean 'okta-api-token'?"))
        let help = try await workspace.run(["due", "--help"])
        #expect(help.status == 0 && help.stdout.contains("--check"))
    }

    @Test func statusHistoryDueAndAudit() async throws {
        let workspace = try Workspace()
        // Read-only commands never create a state store; without one they fail and say so.
        for arguments in [["status"], ["history", "jwt"], ["audit", "verify"]] {
            let result = try await workspace.run(arguments)
            #expect(result.status == 1, "\(arguments) without a state store exited \(result.status)")
            #expect(result.stderr.contains("there is no state store at"), "\(arguments): \(result.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: workspace.stateFile.path), "a read-only command created the state store")
        let due = try await workspace.run(["due", "--check"])
        #expect(due.status == 0)
        #expect(due.stdout.contains("okta-api-token"))
        #expect(!FileManager.default.fileExists(atPath: workspace.stateFile.path), "due created the state store")

        // Once a shell has run, they read it.
        let shell = try workspace.start(["shell"])
        shell.closeInput()
        #expect(try await shell.waitForExit(timeout: .seconds(90)) == 0, "\(shell.outputTail)")
        #expect(try await workspace.run(["status"]).stdout.contains("No open rotations."))
        #expect(try await workspace.run(["status", "R-4"]).status == 3)
        #expect(try await workspace.run(["history", "jwt"]).stdout.contains("has no rotations yet"))
        #expect(try await workspace.run(["history", "nope"]).status == 3)
        let audit = try await workspace.run(["audit", "verify"])
        #expect(audit.status == 0, "\(audit.stdout)\(audit.stderr)")
        #expect(audit.stdout.contains("audit log intact"))
        #expect(try await workspace.run(["frobnicate"]).status == 64)
    }

    @Test func brokenInventoryExitsFourNamingFileLineAndKey() async throws {
        let workspace = try Workspace()
        let file = workspace.folder.appendingPathComponent("Commands/okta-api-token.yaml")
        let text = try String(contentsOf: file, encoding: .utf8).replacingOccurrences(of: "every: 90d", with: "every: 90d\nfrequncy: 90d")
        try text.write(to: file, atomically: true, encoding: .utf8)
        let line = text.split(separator: "\n", omittingEmptySubsequences: false).firstIndex { $0.hasPrefix("frequncy") }.map { $0 + 1 } ?? 0
        let result = try await workspace.run(["list"])
        #expect(result.status == 4)
        #expect(result.stderr.contains("Commands/okta-api-token.yaml:\(line): key 'frequncy': unknown key"), "\(result.stderr)")
    }
}
