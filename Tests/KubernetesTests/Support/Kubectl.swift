import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Runs the real `kubectl` against a fake: its own temp KUBECONFIG (bearer token, plain http),
/// its own `--cache-dir` and HOME, so no test shares discovery caches or touches `~/.kube`.
struct Kubectl {
    let path: String
    let folder: URL

    struct Result {
        var status: Int32
        var output: String
    }

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
        let kubeconfig = """
            apiVersion: v1
            kind: Config
            clusters:
            - name: fake
              cluster:
                server: \(server)
            users:
            - name: aegis
              user:
                token: \(token)
            contexts:
            - name: fake
              context:
                cluster: fake
                user: aegis
                namespace: aegis
            current-context: fake
            """
        try kubeconfig.write(to: folder.appendingPathComponent("config"), atomically: true, encoding: .utf8)
    }

    func cleanUp() { try? FileManager.default.removeItem(at: folder) }

    /// Runs `kubectl <arguments> --cache-dir <temp>`; kills it (SIGKILL, by PID) after `timeout`.
    ///
    /// Spawned with `posix_spawn` and an empty signal mask: test threads block SIGTERM, and a child
    /// would inherit that. Output goes to a file; the wait polls so no test thread blocks.
    func run(_ arguments: [String], timeout: Duration = .seconds(60)) async throws -> Result {
        let outputPath = folder.appendingPathComponent("out-\(UUID().uuidString)").path
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        var allSignals = sigset_t()
        sigfillset(&allSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        posix_spawnattr_setsigdefault(&attributes, &allSignals)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let environment = [
            "KUBECONFIG=\(folder.appendingPathComponent("config").path)",
            "HOME=\(folder.path)",
            "PATH=/usr/local/bin:/usr/bin:/bin",
        ]
        let all = [path] + arguments + ["--cache-dir", folder.appendingPathComponent("cache").path]
        let argv: [UnsafeMutablePointer<CChar>?] = all.map { strdup($0) } + [nil]
        let envp: [UnsafeMutablePointer<CChar>?] = environment.map { strdup($0) } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, path, &actions, &attributes, argv, envp)
        guard spawned == 0 else { throw TestFailure("cannot start kubectl: \(String(cString: strerror(spawned)))") }

        let deadline = ContinuousClock.now + timeout
        var status: Int32 = 0
        while true {
            let result = waitpid(pid, &status, WNOHANG)
            if result == pid { break }
            if result < 0 && errno != EINTR { throw TestFailure("waitpid failed for kubectl") }
            if ContinuousClock.now > deadline {
                kill(pid, SIGKILL)
                _ = waitpid(pid, &status, 0)
                throw TestFailure("kubectl \(arguments.joined(separator: " ")) did not finish within \(timeout)")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        let output = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
        let exited = (status & 0x7f) == 0
        return Result(status: exited ? (status >> 8) & 0xff : -1, output: output)
    }
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
