import AegisTestServers
import Foundation

/// Drives the real `aegis-rotate shell` in a scenario's working folder: alice requests, carol
/// (in #security-ops) approves, the shell waits for the rotation to end and quits.
extension Scenario {
    /// Runs `/rotate <secret>` to its end: requested by the operator account in its own shell,
    /// approved and run in root's; returns root's shell (its output is the run's transcript).
    @discardableResult
    func rotateInShell(_ secret: String, environment extra: [String: String] = [:], timeout: Duration = .seconds(120)) async throws -> TestProcess {
        try await requestAsOperator("/rotate \(secret) end-to-end test", environment: extra)
        let driver = try shell(extra)
        for line in ["approve R-1", "/wait", "/quit"] { driver.send(line) }
        let status = try await driver.waitForExit(timeout: timeout)
        guard status == 0 else { throw ServerError("shell exited \(status)\n\(driver.stdout)\n\(driver.stderr)") }
        return driver
    }

    /// `line` typed into a production shell run by the operator account (not root, so root can
    /// approve: nobody approves their own request); the shell exits at the end of its input.
    @discardableResult
    func requestAsOperator(_ line: String, environment extra: [String: String] = [:]) async throws -> TestProcess {
        guard let setpriv = executable("setpriv", extraFolders: ["/usr/bin", "/bin"]) else { throw ServerError("setpriv (util-linux) is missing") }
        let process = try TestProcess(setpriv, ["--reuid=\(OperatorAccount.uid)", "--regid=\(OperatorAccount.uid)", "--clear-groups",
                                                Repository.binary.path, "shell"],
                                      environment: workspace.environment(environment(extra)), directory: workspace.folder, input: true)
        process.send(line)
        process.closeInput()
        let status = try await process.waitForExit(timeout: .seconds(60))
        guard status == 0, process.stdout.contains("Rotation R-") else {
            throw ServerError("the operator's request did not go through (status \(status))\n\(process.outputTail)")
        }
        return process
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

/// The operating-system accounts of the production shell tests: `nobody` requests, root approves.
enum OperatorAccount {
    static let uid = 65_534
    static let approver = "root"
}
