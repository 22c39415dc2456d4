import AegisTestServers
import Foundation

/// Drives the real `aegis-rotate shell` in a scenario's working folder: alice requests, carol
/// (in #security-ops) approves, the shell waits for the rotation to end and quits.
extension Scenario {
    /// Runs `/rotate <secret>` to its end; returns the driver (its output is the transcript).
    @discardableResult
    func rotateInShell(_ secret: String, environment extra: [String: String] = [:], timeout: Duration = .seconds(120)) async throws -> TestProcess {
        let driver = try shell(extra)
        for line in ["/rotate \(secret) end-to-end test", "/as carol", "approve R-1", "/wait", "/quit"] { driver.send(line) }
        let status = try await driver.waitForExit(timeout: timeout)
        guard status == 0 else { throw ServerError("shell exited \(status)\n\(driver.stdout)\n\(driver.stderr)") }
        return driver
    }

    /// A shell in production mode against this scenario's servers.
    func shell(_ extra: [String: String] = [:]) throws -> TestProcess {
        try workspace.start(["shell"], environment: environment(extra))
    }

    /// The shell's status line for a rotation: `R-1 (secret): completed`.
    func status(_ id: String = "R-1") async throws -> String {
        let result = try await workspace.run(["status", id], environment: environment())
        return result.stdout.split(separator: "\n").first.map(String.init) ?? result.stderr
    }

    /// Secret values found in anything the run wrote: outputs, the log, the state store files.
    func leaks(outputs: [String]) async throws -> [String] {
        LeakScanner.leaks(of: try await allSecretValues(), in: LeakScanner.haystacks(workspace, outputs: outputs))
    }
}
