import AegisCore
import AegisTestServers
import Foundation
import GRDB
import Testing

/// The attacks and accidents of the hardening review, through the real executable on the local
/// sandbox: each one failed on the code before this suite and must keep failing to do harm.
@Suite("Hardening: what runs is what was approved; tamper-evident state; one driver per state file")
struct HardeningTests {
    func shell(_ workspace: Workspace, _ lines: [String], environment: [String: String] = [:]) async throws -> TestProcess {
        let process = try workspace.start(["shell"], environment: environment)
        for line in lines { process.send(line) }
        process.closeInput()
        _ = try await process.waitForExit(timeout: .seconds(60))
        return process
    }

    func status(_ workspace: Workspace) async throws -> String {
        try await workspace.run(["status", "R-1"]).stdout.split(separator: "\n").first.map(String.init) ?? ""
    }

    var configMapFiles: (Workspace) -> [String] {
        { workspace in
            (try? FileManager.default.contentsOfDirectory(atPath: workspace.localRoot.appendingPathComponent("deploy/aegis").path)) ?? []
        }
    }

    @Test("a Commands edit after approval is refused at resume and rolled back with the approved definition")
    func editAfterApproval() async throws {
        let workspace = try Workspace()
        let first = try await shell(workspace, ["/rotate jwt edit test", "/as carol", "approve R-1"],
                                    environment: ["AEGIS_CRASH_POINT": "after:deploy-config", "AEGIS_JWT_GRACE": "1h"])
        #expect(first.exitStatus == -SIGKILL, "\(first.outputTail)")
        let inspector = SandboxInspector(workspace)
        let original = try #require(try await inspector.stage(.current))
        let file = workspace.folder.appendingPathComponent("Commands/jwt-signing-key.yaml")
        try (try String(contentsOf: file, encoding: .utf8)).replacingOccurrences(of: "configmap: aegis-config", with: "configmap: attacker-config")
            .write(to: file, atomically: true, encoding: .utf8)

        let second = try await shell(workspace, [], environment: ["AEGIS_JWT_GRACE": "1h"])
        #expect(second.exitStatus == 0, "\(second.outputTail)")
        #expect(second.stdout.contains("the approved plan is no longer what the inventory says"), "\(second.stdout)")
        #expect(try await status(workspace).hasSuffix(": rolled back"))
        #expect(!configMapFiles(workspace).contains { $0.contains("attacker-config") }, "the edited configmap was written: \(configMapFiles(workspace))")
        #expect(try await inspector.stage(.current) == original, "the store moved on after the plan changed")
        #expect(try await inspector.config()["jwt.signing_key_id"] == original, "the approved configmap was not restored")
        #expect(try await workspace.run(["audit", "verify"]).status == 0)
    }

    @Test("comments and blank lines added to a Commands file do not void a pending approval")
    func commentOnlyEdit() async throws {
        let workspace = try Workspace()
        _ = try await shell(workspace, ["/rotate jwt comment test"])
        let file = workspace.folder.appendingPathComponent("Commands/jwt-signing-key.yaml")
        let text = try String(contentsOf: file, encoding: .utf8)
        try ("# reviewed by the security team\n\n" + text.replacingOccurrences(of: "strategies:", with: "# steps below\nstrategies:"))
            .write(to: file, atomically: true, encoding: .utf8)
        let second = try await shell(workspace, ["/as carol", "approve R-1", "/wait"])
        #expect(second.stdout.contains("🎉 R-1 completed"), "\(second.stdout)")
    }

    @Test("an approval given while the secret's Commands file is missing is refused, and nothing is recorded as approved")
    func approvalWithoutDefinition() async throws {
        let workspace = try Workspace()
        _ = try await shell(workspace, ["/rotate jwt missing file test"])
        let file = workspace.folder.appendingPathComponent("Commands/jwt-signing-key.yaml")
        let kept = workspace.folder.appendingPathComponent("jwt-signing-key.yaml.kept")
        try FileManager.default.moveItem(at: file, to: kept)
        let second = try await shell(workspace, ["/as carol", "approve R-1"])
        #expect(second.stdout.contains("no longer in the inventory"), "\(second.stdout)")
        try FileManager.default.moveItem(at: kept, to: file)
        #expect(try await status(workspace).hasSuffix(": awaiting approval"))
    }

    @Test("a status edited into the state store is never acted on, and audit verify reports it")
    func editedStatus() async throws {
        let workspace = try Workspace()
        _ = try await shell(workspace, ["/rotate jwt forged approval"])
        let inspector = SandboxInspector(workspace)
        let original = try #require(try await inspector.stage(.current))
        let queue = try DatabaseQueue(path: workspace.stateFile.path)
        try await queue.write { db in
            let data = try String.fetchOne(db, sql: "SELECT data FROM rotation WHERE id = 'R-1'") ?? ""
            let forged = data.replacingOccurrences(of: "\"status\":\"awaiting-approval\"", with: "\"status\":\"approved\",\"decidedBy\":\"carol\"")
            try db.execute(sql: "UPDATE rotation SET data = ?, status = 'approved' WHERE id = 'R-1'", arguments: [forged])
        }
        try await queue.close()
        let verifyBefore = try await workspace.run(["audit", "verify"])
        #expect(verifyBefore.status == 1)
        #expect(verifyBefore.stderr.contains("R-1 is approved but no rotation.approved record"), "\(verifyBefore.stderr)")

        let run = try await shell(workspace, ["/wait"])
        #expect(run.stdout.contains("refused to run"), "\(run.stdout)")
        let after = try await status(workspace)
        #expect(after.hasSuffix("FAILED (needs a human)"), "\(after)\n\(run.stdout)")
        #expect(try await inspector.stage(.current) == original, "a forged approval ran the rotation")
        #expect(try await inspector.stage(.pending) == nil)
        #expect(try await workspace.run(["audit", "verify"]).status == 1, "the forged approval must stay visible")
    }

    @Test("deleting audit records, the newest or all of them, is reported")
    func truncatedAudit() async throws {
        let workspace = try Workspace()
        _ = try await shell(workspace, ["/rotate jwt audit test", "/as carol", "approve R-1", "/wait"], environment: ["AEGIS_JWT_GRACE": "1h"])
        #expect(try await workspace.run(["audit", "verify"]).status == 0)
        let queue = try DatabaseQueue(path: workspace.stateFile.path)
        try await queue.write { db in try db.execute(sql: "DELETE FROM audit WHERE seq = (SELECT MAX(seq) FROM audit)") }
        let newest = try await workspace.run(["audit", "verify"])
        #expect(newest.status == 1, "deleting the newest record went unnoticed: \(newest.stdout)")
        #expect(newest.stderr.contains("records were deleted from the end"), "the head seen by the last verify was not checked: \(newest.stderr)")
        try await queue.write { db in try db.execute(sql: "DELETE FROM audit") }
        try await queue.close()
        let all = try await workspace.run(["audit", "verify"])
        #expect(all.status == 1, "deleting every record went unnoticed: \(all.stdout)")
        #expect(all.stderr.contains("R-1"), "\(all.stderr)")
    }

    @Test("a second shell on the same state file is refused, naming the holder")
    func oneDriverPerStateFile() async throws {
        let workspace = try Workspace()
        let first = try workspace.start(["shell"])
        try await first.waitForOutput("Type /help.")
        let second = try workspace.start(["shell"])
        second.closeInput()
        let status = try await second.waitForExit(timeout: .seconds(90))
        #expect(status != 0)
        #expect(second.stderr.contains("is in use by another aegis-rotate process (pid \(first.pid)"), "\(second.stderr)")
        first.closeInput()
        #expect(try await first.waitForExit(timeout: .seconds(90)) == 0)
        let third = try await shell(workspace, [])
        #expect(third.exitStatus == 0, "the lock outlived its holder: \(third.outputTail)")
    }

    @Test("a state store locked for longer than its busy timeout delays a rotation; it is not parked")
    func busyStateStore() async throws {
        let workspace = try Workspace()
        _ = try await shell(workspace, ["/rotate jwt busy test"], environment: ["AEGIS_JWT_GRACE": "1h"])
        // The restart says when it starts and lasts until another writer holds the database
        // (for 25 s; the restart gives up waiting after 60 s), so the write after the restart
        // outlasts the store's 10 s busy timeout however slowly that writer starts.
        let restarting = workspace.folder.appendingPathComponent("restarting")
        let locked = workspace.folder.appendingPathComponent("locked")
        let restart = "touch \(restarting.path); i=0; while [ ! -f \(locked.path) ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i+1)); done"
        let shell = try workspace.start(["shell"], environment: ["AEGIS_JWT_GRACE": "1h", "AEGIS_LOCAL_RESTART_COMMAND": restart])
        try await shell.waitForOutput("Type /help.")
        shell.send("/as carol")
        shell.send("approve R-1")
        try await waitUntil("the restart to begin", timeout: .seconds(60)) { FileManager.default.fileExists(atPath: restarting.path) }
        // The other writer is its own process (Python's sqlite3), so no thread of this one sleeps.
        let holder = try TestProcess.python(["-c", Self.lockHolder, workspace.stateFile.path, "25"], mergeOutput: true)
        try await holder.waitForOutput("locked", timeout: .seconds(30))
        FileManager.default.createFile(atPath: locked.path, contents: nil)
        shell.send("/wait")
        shell.closeInput()
        #expect(try await shell.waitForExit(timeout: .seconds(120)) == 0, "\(shell.outputTail)")
        #expect(try await holder.waitForExit(timeout: .seconds(60)) == 0, "\(holder.outputTail)")
        let log = (try? String(contentsOf: workspace.logFile, encoding: .utf8)) ?? ""
        #expect(log.contains("state store unavailable; retrying the rotation"), "the lock never got in the way; the test proves nothing")
        #expect(shell.stdout.contains("🎉 R-1 completed"), "\(shell.stdout)")
    }

    /// Takes SQLite's write lock on a database (argv[1]) for argv[2] seconds, then lets it go.
    static let lockHolder = """
    import sqlite3, sys, time
    db = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=30)
    db.execute("BEGIN IMMEDIATE")
    print("locked", flush=True)
    time.sleep(float(sys.argv[2]))
    db.execute("COMMIT")
    """

    @Test("what people type cannot drive the operator's terminal")
    func terminalInjection() async throws {
        let workspace = try Workspace()
        let run = try await shell(workspace, ["/rotate jwt \u{1B}]0;pwned\u{07} \u{1B}[2J reason\r", "/rotate status R-1", "/as \u{1B}[31mevil"])
        #expect(!run.stdout.unicodeScalars.contains { $0.value == 0x1B || $0.value == 0x07 || $0.value == 0x0D }, "raw control characters reached the terminal")
        #expect(run.stdout.contains("\\u{1B}]0;pwned"))
        let status = try await workspace.run(["status", "R-1"])
        #expect(!status.stdout.unicodeScalars.contains { $0.value == 0x1B }, "status printed raw control characters")
        #expect(!FileManager.default.fileExists(atPath: workspace.localRoot.path + "/../escaped"))
    }
}
