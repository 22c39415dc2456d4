import AegisAWS
import AegisTestServers
import AegisCore
import AegisLocalSandbox
import Foundation
import Testing

/// The sandbox's stand-in providers (SPEC §4 for newcomers): every secret of the inventory rotates
/// in the shell on a fresh machine, keys a person makes are pasted into the shell without being
/// shown, and the stand-ins end up where the real providers would (old Okta token revoked, …).
@Suite("local sandbox: every secret rotates on stand-in providers", .serialized)
struct SandboxProviderTests {
    /// The secrets whose new key a person hands over (strategy with `await-provided-key`).
    static let provided: Set<String> = ["okta-api-token", "anthropic-api-key", "openai-api-key"]

    /// The stand-in ledger: status by `<store name>@<version>`.
    static func ledger(_ workspace: Workspace) throws -> [String: String] {
        let file = workspace.localRoot.appendingPathComponent("providers/credentials.json")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: file)) as? [String: Any])
        let entries = try #require(object["entries"] as? [String: [String: Any]])
        return entries.compactMapValues { $0["status"] as? String }
    }

    static func key() -> String { "console-made-" + UUID().uuidString.replacingOccurrences(of: "-", with: "") }

    @Test("/rotate okta: the key is pasted after provide-key, never printed; the old token is revoked at the stand-in")
    func oktaInTheSandbox() async throws {
        let workspace = try Workspace()
        let shell = try workspace.start(["shell"])
        try await shell.waitForOutput("You are alice")
        let plan = try await workspace.run(["plan", "okta"])
        #expect(plan.status == 0, "the sandbox plan is runnable: \(plan.stdout)\(plan.stderr)")
        shell.send("/rotate okta")
        try await shell.waitForOutput("type: approve R-1")
        shell.send("/as carol")
        shell.send("approve R-1")
        try await shell.waitForOutput("type: provide-key R-1", timeout: .seconds(60))
        shell.send("provide-key R-1")
        try await shell.waitForOutput("Paste the new key for R-1")
        shell.send("carols-own-key-" + UUID().uuidString)
        try await shell.waitForOutput("Only alice, who requested R-1, can hand over its new key.")
        shell.send("/as alice")
        let token = Self.key()
        shell.send("provide-key R-1")
        try await shell.waitForOutput("Paste the new key for R-1", count: 2)
        shell.send(token)
        try await shell.waitForOutput("Received the new key for R-1")
        try await shell.waitForOutput("🎉 R-1 completed", timeout: .seconds(60))
        shell.closeInput()
        #expect(try await shell.waitForExit() == 0)

        let out = shell.stdout
        #expect(out.contains("sandbox stand-in for Okta: accepts the new credential"), "\(out)")
        #expect(out.contains("sandbox stand-in for Okta: old credential") && out.contains("is revoked; this cannot be undone"), "\(out)")
        #expect(!out.contains(token), "the pasted key was printed")
        let sandbox = LocalSandbox(root: workspace.localRoot, restartCommand: nil)
        let storage = StorageLocation(kind: .awsSecretsManager, name: "aegis/okta-api-token")
        let current = try #require(try await sandbox.store.version(secret: storage, stage: .current))
        let previous = try #require(try await sandbox.store.version(secret: storage, stage: .previous))
        #expect(try await sandbox.store.value(secret: storage, versionID: current.versionID)?.revealSecretString() == token)
        let ledger = try Self.ledger(workspace)
        #expect(ledger["aegis/okta-api-token@\(current.versionID)"] == "active")
        #expect(ledger["aegis/okta-api-token@\(previous.versionID)"] == "revoked")
        let leaks = LeakScanner.leaks(of: [token], in: LeakScanner.haystacks(workspace, outputs: [shell.stdout, shell.stderr]))
        #expect(leaks.isEmpty, "the key was found in: \(leaks)")
    }

    @Test("every secret of the inventory rotates in one sandbox shell; a key from a file is read, not printed")
    func everySecretRotates() async throws {
        let workspace = try Workspace()
        let secrets = try FileManager.default.contentsOfDirectory(atPath: workspace.folder.appendingPathComponent("Commands").path)
            .filter { $0.hasSuffix(".yaml") }.map { String($0.dropLast(5)) }.sorted()
        #expect(secrets.count == 9)
        for secret in secrets {
            let plan = try await workspace.run(["plan", secret])
            #expect(plan.status == 0, "\(secret) is not runnable in the sandbox: \(plan.stdout)\(plan.stderr)")
        }
        let keyFile = workspace.folder.appendingPathComponent("new-key.txt")
        var keys: [String] = []
        let shell = try workspace.start(["shell"])
        try await shell.waitForOutput("You are alice")
        for (index, secret) in secrets.enumerated() {
            let id = "R-\(index + 1)"
            shell.send("/as alice")
            shell.send("/rotate \(secret)")
            try await shell.waitForOutput("type: approve \(id)", timeout: .seconds(60))
            shell.send("/as carol")
            shell.send("approve \(id)")
            if Self.provided.contains(secret) {
                try await shell.waitForOutput("type: provide-key \(id)", timeout: .seconds(60))
                shell.send("/as alice")
                let key = Self.key()
                keys.append(key)
                if keys.count == 1 {
                    try Data((key + "\n").utf8).write(to: keyFile)
                    shell.send("provide-key \(id) --file \(keyFile.path)")
                } else {
                    shell.send("provide-key \(id)")
                    try await shell.waitForOutput("Paste the new key for \(id)")
                    shell.send(key)
                }
                try await shell.waitForOutput("Received the new key for \(id)")
            }
            try await shell.waitForOutput("\(id) completed", timeout: .seconds(90))
        }
        shell.closeInput()
        #expect(try await shell.waitForExit() == 0)
        let out = shell.stdout
        #expect(!out.contains("rolled back"), "\(out)")
        for key in keys { #expect(!out.contains(key), "a provided key was printed") }
        let leaks = LeakScanner.leaks(of: keys, in: LeakScanner.haystacks(workspace, outputs: [shell.stdout, shell.stderr]))
        #expect(leaks.isEmpty, "a provided key was found in: \(leaks)")
        let ledger = try Self.ledger(workspace)
        #expect(ledger.values.contains("revoked"), "Okta's old token is revoked at the stand-in")
        #expect(ledger.values.contains("inactive"), "an old key (IAM, Anthropic) waits out its grace inactive")
    }
}
