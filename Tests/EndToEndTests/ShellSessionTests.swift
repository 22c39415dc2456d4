import AegisTestServers
import AegisCore
import Foundation
import GRDB
import Testing

@Suite("Shell session through the real executable", .serialized)
struct ShellSessionTests {
    @Test("request, refused approvals, approval, every step, grace clean-up, audit verify and tamper detection, no leaks")
    func fullSession() async throws {
        let workspace = try Workspace()
        // Long enough that the checks after completion read the config before the grace timer fires on a loaded machine.
        let shell = try workspace.start(["shell"], environment: ["AEGIS_JWT_GRACE": "8s"])
        try await shell.waitForOutput("You are alice")
        shell.send("/rotate jwt quarterly rotation")
        try await shell.waitForOutput("[ Approve ] type: approve R-1", count: 2)
        shell.send("approve R-1")
        try await shell.waitForOutput("You requested R-1; a second person from #security-ops must approve it.")
        shell.send("/as bob")
        shell.send("approve R-1")
        try await shell.waitForOutput("Only members of #security-ops can approve rotations, and you are not one.")
        shell.send("/as carol")
        shell.send("approve R-1")
        try await shell.waitForOutput("✅ Approved by carol")
        for (index, step) in ["generate", "deploy-config", "restart", "verify", "promote", "grace-cleanup"].enumerated() {
            try await shell.waitForOutput("✓ Step \(index + 1)/6 `\(step)`")
        }
        try await shell.waitForOutput("Verification after rotation (R-1): passed")
        try await shell.waitForOutput("🎉 R-1 completed")

        let inspector = SandboxInspector(workspace)
        let current = try #require(try await inspector.stage(.current))
        let previous = try #require(try await inspector.stage(.previous))
        #expect(current != previous)
        var config = try await inspector.config()
        #expect(config["jwt.signing_key"] == (try await inspector.value(current)))
        #expect(config["jwt.previous_signing_key"] == (try await inspector.value(previous)))
        #expect(config["jwt.signing_key_id"] == current)

        try await shell.waitForOutput("🧹 Grace period over for R-1: removed jwt.previous_signing_key", timeout: .seconds(120))
        config = try await inspector.config()
        #expect(config["jwt.previous_signing_key"] == nil)
        #expect(config["jwt.signing_key"] == (try await inspector.value(current)))
        shell.closeInput()
        #expect(try await shell.waitForExit() == 0)

        let verified = try await workspace.run(["audit", "verify"])
        #expect(verified.status == 0, "\(verified.stderr)")
        #expect(verified.stdout.contains("audit log intact"))

        let secrets = try await inspector.allSecretValues()
        #expect(secrets.count >= 2)
        let leaks = LeakScanner.leaks(of: secrets, in: LeakScanner.haystacks(workspace, outputs: [shell.stdout, shell.stderr, verified.stdout]))
        #expect(leaks.isEmpty, "secret values found in: \(leaks)")

        let queue = try DatabaseQueue(path: workspace.stateFile.path)
        let flipped = try await queue.write { db -> Int in
            let sequence = try Int.fetchOne(db, sql: #"SELECT MIN(seq) FROM audit WHERE body LIKE '%"actor":"carol"%'"#) ?? 0
            try db.execute(sql: #"UPDATE audit SET body = replace(body, '"actor":"carol"', '"actor":"karol"') WHERE seq = ?"#, arguments: [sequence])
            return sequence
        }
        try queue.close()
        #expect(flipped > 0)
        let tampered = try await workspace.run(["audit", "verify"])
        #expect(tampered.status == 1)
        #expect(tampered.stderr.contains("record #\(flipped)"), "\(tampered.stderr)")
    }

    @Test("the leak scanner finds a whole value, a clipped piece, and a JSON-escaped PEM line")
    func leakScannerCanFail() {
        let value = "Zm9vYmFyYmF6cXV4cXV1eGNvcmdlZ3JhdWx0Z2FycGx5d2FsZG8="
        let pem = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAx1b2c3d4e5f6g7h8i9j0k1l2m3n4o5p6q7r8s9t0u1v2w3x4\n-----END RSA PRIVATE KEY-----"
        #expect(LeakScanner.leaks(of: [value], in: ["log": Data("token=\(value)".utf8)]) == ["log"])
        #expect(LeakScanner.leaks(of: [value], in: ["log": Data("clipped: \(value.prefix(40))…".utf8)]) == ["log"])
        let escaped = pem.replacingOccurrences(of: "\n", with: "\\n")
        #expect(LeakScanner.leaks(of: [pem], in: ["json": Data(escaped.utf8)]) == ["json"])
        #expect(LeakScanner.leaks(of: [value, pem], in: ["clean": Data("nothing here".utf8)]).isEmpty)
    }

    @Test("bad input gets clear answers and never crashes the shell")
    func badInput() async throws {
        let workspace = try Workspace()
        // Every default strategy runs in the sandbox on stand-ins; RDS-managed rotation has none.
        let postgres = workspace.folder.appendingPathComponent("Commands/postgres-password.yaml")
        try String(contentsOf: postgres, encoding: .utf8).replacingOccurrences(of: "strategy: manual", with: "strategy: aws-managed")
            .write(to: postgres, atomically: true, encoding: .utf8)
        let shell = try workspace.start(["shell"], environment: [:])
        let lines = [
            "/rotate okat", "/rotate", "approve R-7", "/as mallory", "hello bot", "/rotate --leaked okta",
            "/rotate jwt --force", "/rotate status R-99", "/rotate history nope", "/rotate cancel", "/rotate postgres",
            "/rotate dev-jwt", "/as dave", "approve R-1", "/wait", "approve R-1", "deny", "/sleep soon",
        ]
        for line in lines { shell.send(line) }
        shell.closeInput()
        #expect(try await shell.waitForExit() == 0, "\(shell.stderr)")
        let out = shell.stdout
        #expect(out.contains("I don't know a secret called `okat`. Did you mean `okta-api-token`?"))
        #expect(out.contains("/rotate <secret> [--leaked] [reason…]"))
        #expect(out.contains("There is no rotation R-7."))
        #expect(out.contains("There is no user 'mallory' here."))
        #expect(out.contains("I only understand /rotate commands"))
        #expect(out.contains("Start with the secret's name"))
        #expect(out.contains("Unknown option `--force`"))
        #expect(out.contains("There is no rotation R-99."))
        #expect(out.contains("I don't know a secret called `nope`"))
        #expect(out.contains("`/rotate cancel` needs a rotation ID"))
        #expect(out.contains("postgres-password can't be rotated here yet") && out.contains("AWS_REGION"), "\(out)")
        #expect(out.contains("R-1 is completed by dave; there is nothing to approve."))
        #expect(out.contains("Usage: deny R-3"))
        #expect(out.contains("Usage: /sleep 3s"))
        #expect(out.contains("Bye."))
    }
}

@Suite("Shell help")
struct ShellHelpTests {
    @Test("/rotate help lists the commands and every secret with its aliases")
    func helpNamesTheSecrets() async throws {
        let workspace = try Workspace()
        let shell = try workspace.start(["shell"])
        shell.send("/rotate help")
        shell.closeInput()
        #expect(try await shell.waitForExit(timeout: .seconds(90)) == 0)
        #expect(shell.stdout.contains("/rotate list"))
        #expect(shell.stdout.contains("Secrets you can rotate"))
        for line in ["`okta-api-token` (`okta`)", "`postgres-password` (`postgres`, `db`)", "`aws-iam-access-keys` (`aws-iam`, `iam`)",
                     "`entra-client-secret` (`entra`)", "`jwt-signing-key` (`jwt`)"] {
            #expect(shell.stdout.contains(line), "help does not list \(line):\n\(shell.stdout)")
        }
    }
}
