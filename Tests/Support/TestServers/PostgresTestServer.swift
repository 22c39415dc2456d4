@testable import AegisPostgres
import AegisCore
import Foundation
import Logging
import PostgresNIO
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// A fresh PostgreSQL 15 cluster (initdb) in a temp folder, listening on 127.0.0.1 and a free
/// port, password logins by SCRAM-SHA-256, every statement logged (`log_statement=all`) so tests
/// can read what reached the server. Run as the `postgres` system user when we are root.
public final class PostgresTestServer: Sendable {
    public static let binFolders = ["/usr/lib/postgresql/15/bin"]

    public let port: Int
    public let folder: URL
    public let pid: pid_t
    public let adminPassword: SecretValue

    public var logFile: URL { folder.appendingPathComponent("pg.log") }
    public var adminURL: PostgresURL {
        PostgresURL(host: "127.0.0.1", port: port, user: "postgres", password: adminPassword, database: "postgres", tlsMode: .disable)
    }

    private init(port: Int, folder: URL, pid: pid_t, adminPassword: SecretValue) {
        self.port = port
        self.folder = folder
        self.pid = pid
        self.adminPassword = adminPassword
    }

    public static func start() async throws -> PostgresTestServer {
        guard let initdb = executable("initdb", extraFolders: binFolders), let pgCtl = executable("pg_ctl", extraFolders: binFolders) else {
            throw ServerError("initdb/pg_ctl not found on PATH or in /usr/lib/postgresql/15/bin; run scripts/test.sh, which installs postgresql-15")
        }
        let folder = URL(fileURLWithPath: "/tmp").appendingPathComponent("aegis-pg-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let asRoot = getuid() == 0
        if asRoot { try await runProgram(executable("chown", extraFolders: ["/bin", "/usr/bin"]) ?? "/bin/chown", ["postgres:postgres", folder.path]) }
        let adminPassword = SecretValue(utf8: "admin" + UUID().uuidString.replacingOccurrences(of: "-", with: ""))
        let passwordFile = folder.appendingPathComponent("pwfile")
        try Data(adminPassword.revealSecretBytes()).write(to: passwordFile)
        if asRoot { try await runProgram(executable("chown", extraFolders: ["/bin", "/usr/bin"]) ?? "/bin/chown", ["postgres:postgres", passwordFile.path]) }
        let data = folder.appendingPathComponent("data").path

        func asPostgres(_ program: String, _ arguments: [String]) async throws {
            if asRoot {
                let runuser = executable("runuser", extraFolders: ["/usr/sbin", "/sbin"]) ?? "/usr/sbin/runuser"
                try await runProgram(runuser, ["-u", "postgres", "--", program] + arguments)
            } else {
                try await runProgram(program, arguments)
            }
        }
        try await asPostgres(initdb, ["-D", data, "-U", "postgres", "--pwfile=\(passwordFile.path)", "--auth-local=trust",
                                "--auth-host=scram-sha-256", "-E", "UTF8", "--no-locale"])
        try? FileManager.default.removeItem(at: passwordFile)
        // A port can still be taken by a process outside this test run between the check and the
        // postmaster's bind; the postmaster then exits at once, so try a new port (three times).
        var port = 0
        for attempt in 1...3 {
            port = try freeLoopbackPort()
            do {
                try await asPostgres(pgCtl, ["-D", data, "-l", folder.appendingPathComponent("pg.log").path, "-t", "90",
                                       "-o", "-p \(port) -k \(folder.path) -c listen_addresses=127.0.0.1 -c log_statement=all",
                                       "-w", "start"])
                break
            } catch let error where attempt < 3 {
                let log = (try? String(contentsOf: folder.appendingPathComponent("pg.log"), encoding: .utf8)) ?? ""
                guard log.contains("could not bind") || log.contains("already in use") else { throw error }
            }
        }
        let pidText = try String(contentsOfFile: data + "/postmaster.pid", encoding: .utf8)
        let pid = pid_t(pidText.split(separator: "\n").first.map(String.init) ?? "") ?? 0
        let server = PostgresTestServer(port: port, folder: folder, pid: pid, adminPassword: adminPassword)
        guard pid > 0 else {
            await server.stop()
            throw ServerError("postgres started but postmaster.pid has no PID")
        }
        return server
    }

    /// Fast shutdown (SIGINT to the postmaster), by PID.
    public func stop() async {
        await stopProcess(pid: pid, signal: SIGINT)
        try? FileManager.default.removeItem(at: folder)
    }

    /// Runs SQL as the superuser (tests set roles up with it).
    public func admin(_ sql: String) async throws {
        let logger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }
        let connection = try await PostgresConnection.connect(configuration: try adminURL.configuration(), id: 1, logger: logger)
        do {
            try await connection.query(PostgresQuery(unsafeSQL: sql), logger: logger)
        } catch {
            try? await connection.close()
            throw error
        }
        try await connection.close()
    }

    /// The server log so far.
    public func log() throws -> String { try String(contentsOf: logFile, encoding: .utf8) }

    @TaskLocal public static var current: PostgresTestServer?

    public static func shared() throws -> PostgresTestServer {
        guard let current else { throw ServerError("the suite has no .postgresServer trait") }
        return current
    }
}

/// Starts one cluster for the suite it is attached to and stops it by PID when the suite ends,
/// whether its tests passed or failed.
public struct PostgresServerTrait: SuiteTrait, TestScoping {
    public func provideScope(for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void) async throws {
        let server = try await PostgresTestServer.start()
        do {
            try await PostgresTestServer.$current.withValue(server) { try await function() }
        } catch {
            await server.stop()
            throw error
        }
        await server.stop()
    }
}

extension Trait where Self == PostgresServerTrait {
    public static var postgresServer: Self { Self() }
}
