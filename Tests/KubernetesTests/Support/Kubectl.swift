import AegisTestServers
import Foundation
import KubernetesFake
#if canImport(Glibc)
import Glibc
#endif

/// Runs the real `kubectl` against a fake: its own temp KUBECONFIG (bearer token, plain http),
/// its own `--cache-dir` and HOME, so no test shares discovery caches or touches `~/.kube`.
struct Kubectl {
    let path: String
    let folder: URL

    /// Fails with a clear reason when kubectl is missing (scripts/test.sh installs it where it can).
    static func locate() throws -> String {
        let folders = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":").map(String.init)
            + ["/usr/local/bin", "/usr/bin"]
        guard let found = folders.map({ "\($0)/kubectl" }).first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw TestFailure("kubectl is not installed, so the fake cannot be proved against the real client; install kubectl (v1.32) and rerun")
        }
        return found
    }

    init(server: String, token: String) throws {
        path = try Self.locate()
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("aegis-kubectl-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("cache"), withIntermediateDirectories: true)
        let kubeconfig = KubernetesFake.kubeconfig(server: server, token: token)
        try kubeconfig.write(to: folder.appendingPathComponent("config"), atomically: true, encoding: .utf8)
    }

    func cleanUp() { try? FileManager.default.removeItem(at: folder) }

    /// Runs `kubectl <arguments> --cache-dir <temp>`; kills it (SIGKILL, by PID) after `timeout`.
    func run(_ arguments: [String], timeout: Duration = .seconds(60)) async throws -> ProcessResult {
        let environment = [
            "KUBECONFIG": folder.appendingPathComponent("config").path,
            "HOME": folder.path,
            "PATH": "/usr/local/bin:/usr/bin:/bin",
        ]
        return try await runProcess(path, arguments + ["--cache-dir", folder.appendingPathComponent("cache").path],
                                    environment: environment, timeout: timeout)
    }
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
