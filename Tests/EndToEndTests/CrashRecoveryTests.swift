import AegisTestServers
import AegisCore
import Foundation
import Testing

/// SIGKILL at every step boundary of the local JWT rotation (and of its rollback), restart, and
/// check that the rotation finished or rolled back with store and config in agreement and no
/// credential lost.
@Suite("Crash recovery (SIGKILL at every step boundary)", .serialized)
struct CrashRecoveryTests {
    static let steps = ["generate", "deploy-config", "restart", "verify", "promote", "grace-cleanup"]
    static let forwardPoints = steps.flatMap { ["before:\($0)", "after:\($0)"] }
    static let rollbackPoints = ["failed:restart", "rollback:restart", "rollback:deploy-config", "rollback:generate"]

    @Test("forward run", arguments: forwardPoints)
    func forward(point: String) async throws {
        try await crashAndRecover(at: point, failRestartOnce: false)
    }

    @Test("rollback run", arguments: rollbackPoints)
    func rollback(point: String) async throws {
        try await crashAndRecover(at: point, failRestartOnce: true)
    }

    @Test("a grace timer due while the bot was down fires after the restart")
    func graceTimerSurvivesRestart() async throws {
        let workspace = try Workspace()
        let first = try workspace.start(["shell"], environment: ["AEGIS_JWT_GRACE": "1s"])
        for line in ["/rotate jwt", "/as carol", "approve R-1", "/wait", "/quit"] { first.send(line) }
        #expect(try await first.waitForExit() == 0)
        #expect(first.stdout.contains("🎉 R-1 completed"))
        let inspector = SandboxInspector(workspace)
        #expect(try await inspector.config()["jwt.previous_signing_key"] != nil)
        try await Task.sleep(for: .milliseconds(1_500))

        let second = try workspace.start(["shell"], environment: ["AEGIS_JWT_GRACE": "1s"])
        try await second.waitForOutput("🧹 Grace period over for R-1: removed jwt.previous_signing_key", timeout: .seconds(60))
        second.closeInput()
        #expect(try await second.waitForExit() == 0)
        #expect(try await inspector.config()["jwt.previous_signing_key"] == nil)
        #expect(try await workspace.run(["audit", "verify"]).status == 0)
    }

    func crashAndRecover(at point: String, failRestartOnce: Bool) async throws {
        let workspace = try Workspace()
        let flag = workspace.folder.appendingPathComponent("fail-next-restart")
        var environment = ["AEGIS_JWT_GRACE": "1h"]
        if failRestartOnce {
            environment["AEGIS_LOCAL_RESTART_COMMAND"] = "if [ -e \(flag.path) ]; then rm \(flag.path); exit 1; fi"
        }
        let first = try workspace.start(["shell"], environment: environment.merging(["AEGIS_CRASH_POINT": point]) { $1 })
        try await first.waitForOutput("You are alice")
        let inspector = SandboxInspector(workspace)
        let original = try #require(try await inspector.stage(.current))
        let originalValue = try #require(try await inspector.value(original))
        if failRestartOnce { FileManager.default.createFile(atPath: flag.path, contents: Data()) }
        first.send("/rotate jwt crash test")
        first.send("/as carol")
        first.send("approve R-1")
        #expect(try await first.waitForExit(timeout: .seconds(60)) == -SIGKILL, "expected SIGKILL at \(point)\n\(first.stdout)\n\(first.stderr)")

        let second = try workspace.start(["shell"], environment: environment)
        second.closeInput()
        #expect(try await second.waitForExit(timeout: .seconds(60)) == 0, "\(second.stderr)")
        let status = try await workspace.run(["status", "R-1"])
        let final = status.stdout.split(separator: "\n").first.map(String.init) ?? ""
        let completed = final.hasSuffix(": completed")
        let rolledBack = final.hasSuffix(": rolled back")
        #expect(completed || rolledBack, "after \(point): \(status.stdout)\n\(second.stdout)")
        #expect(completed == !failRestartOnce, "a forward crash finishes; a crash in a failing run still rolls back")

        let current = try #require(try await inspector.stage(.current))
        let config = try await inspector.config()
        #expect(config["jwt.signing_key_id"] == current, "config and store disagree after \(point)")
        #expect(config["jwt.signing_key"] == (try await inspector.value(current)))
        #expect(try await inspector.value(original) == originalValue, "the original credential was lost after \(point)")
        if completed {
            #expect(current != original)
            #expect(try await inspector.stage(.previous) == original)
            #expect(config["jwt.previous_signing_key"] == originalValue)
        } else {
            #expect(current == original)
            #expect(config["jwt.previous_signing_key"] == nil)
            #expect(try await inspector.stage(.pending) == nil)
        }
        #expect(try await workspace.run(["audit", "verify"]).status == 0)
        let leaks = LeakScanner.leaks(of: try await inspector.allSecretValues(),
                                      in: LeakScanner.haystacks(workspace, outputs: [first.stdout, first.stderr, second.stdout, second.stderr]))
        #expect(leaks.isEmpty, "secret values found in: \(leaks)")
    }
}
