import AegisCore
import Foundation

/// A real PgBouncer (Debian's `pgbouncer`, installed by `scripts/test.sh`) in front of a test
/// PostgreSQL on a free loopback port, as the application's connection pooler: SCRAM logins,
/// checked with `auth_query` against `pg_shadow` as the superuser, so a role's new password works
/// through it at once and the old one is refused — what the `pgbouncer-login` check relies on.
/// With `staleLogins` it instead knows only the passwords it was given (an `auth_file` nobody
/// updated, the runbook's "rotation breaks connections" case). Runs as `postgres` when the tests
/// run as root (PgBouncer refuses root); stopped by PID.
public struct PgBouncerTestServer: Sendable {
    public let port: Int
    public let folder: URL
    public let pid: pid_t

    /// `AEGIS_PGBOUNCER_URL` for the bot (no credentials: the check logs in as the role).
    public var url: String { "postgres://127.0.0.1:\(port)/postgres?sslmode=disable" }

    public static func start(in front: PostgresTestServer, staleLogins: [String: String]? = nil) async throws -> PgBouncerTestServer {
        guard let pgbouncer = executable("pgbouncer", extraFolders: ["/usr/sbin"]) else {
            throw ServerError("pgbouncer not found on PATH or in /usr/sbin; run scripts/test.sh, which installs it")
        }
        let folder = URL(fileURLWithPath: "/tmp").appendingPathComponent("aegis-pgbouncer-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let port = try freeLoopbackPort()
        let users = folder.appendingPathComponent("users.txt")
        let logins = ["postgres": front.adminPassword.revealSecretString()].merging(staleLogins ?? [:]) { $1 }
        try Data(logins.sorted { $0.key < $1.key }.map { "\"\($0.key)\" \"\($0.value)\"\n" }.joined().utf8).write(to: users)
        let lookup = staleLogins == nil ? "auth_user = postgres\nauth_query = SELECT usename, passwd FROM pg_shadow WHERE usename=$1" : ""
        let config = folder.appendingPathComponent("pgbouncer.ini")
        let pidFile = folder.appendingPathComponent("pgbouncer.pid")
        try Data("""
            [databases]
            postgres = host=127.0.0.1 port=\(front.port) dbname=postgres
            [pgbouncer]
            listen_addr = 127.0.0.1
            listen_port = \(port)
            unix_socket_dir =
            auth_type = scram-sha-256
            auth_file = \(users.path)
            \(lookup)
            pool_mode = session
            ignore_startup_parameters = extra_float_digits,options,application_name
            logfile = \(folder.appendingPathComponent("pgbouncer.log").path)
            pidfile = \(pidFile.path)

            """.utf8).write(to: config)
        let chown = executable("chown", extraFolders: ["/bin", "/usr/bin"]) ?? "/bin/chown"
        if getuid() == 0 {
            try await runProgram(chown, ["-R", "postgres:postgres", folder.path])
            let runuser = executable("runuser", extraFolders: ["/usr/sbin", "/sbin"]) ?? "/usr/sbin/runuser"
            try await runProgram(runuser, ["-u", "postgres", "--", pgbouncer, "-d", config.path], timeout: .seconds(30))
        } else {
            try await runProgram(pgbouncer, ["-d", config.path], timeout: .seconds(30))
        }
        let deadline = ContinuousClock.now + .seconds(15)
        var pid: pid_t = 0
        let listening = "listening on 127.0.0.1:\(port)"
        while ContinuousClock.now < deadline {
            if let text = try? String(contentsOf: pidFile, encoding: .utf8), let read = pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines)) {
                pid = read
            }
            if pid > 0, (try? String(contentsOf: folder.appendingPathComponent("pgbouncer.log"), encoding: .utf8))?.contains(listening) == true { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        let server = PgBouncerTestServer(port: port, folder: folder, pid: pid)
        guard pid > 0, server.log.contains(listening) else {
            await server.stop()
            throw ServerError("pgbouncer did not write its PID and start listening on port \(port) within 15 s; its log: \(server.log)")
        }
        return server
    }

    /// PgBouncer's log so far.
    public var log: String {
        (try? String(contentsOf: folder.appendingPathComponent("pgbouncer.log"), encoding: .utf8)) ?? ""
    }

    /// SIGINT (PgBouncer's safe shutdown), by PID; then its folder goes.
    public func stop() async {
        await stopProcess(pid: pid, signal: SIGINT)
        try? FileManager.default.removeItem(at: folder)
    }
}
