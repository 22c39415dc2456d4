@testable import AegisRedis
import Foundation
import NIOSSL
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// A real redis-server on 127.0.0.1 and a free port, in a temp folder, with no persistence.
/// Its default user has no password; tests make their own users. With `tls`, it speaks only TLS,
/// with a certificate for `localhost` from a CA made for the run (`tlsConfiguration` trusts it).
public final class RedisTestServer: Sendable {
    public let port: Int
    public let folder: URL
    public let pid: pid_t
    /// A client configuration trusting the run's CA; nil for a plain server.
    public let tlsConfiguration: TLSConfiguration?

    public var endpoint: RedisEndpoint {
        tlsConfiguration == nil ? RedisEndpoint(host: "127.0.0.1", port: port) : RedisEndpoint(host: "localhost", port: port, useTLS: true)
    }

    private init(port: Int, folder: URL, pid: pid_t, tlsConfiguration: TLSConfiguration?) {
        self.port = port
        self.folder = folder
        self.pid = pid
        self.tlsConfiguration = tlsConfiguration
    }

    public static func start(tls: Bool = false) async throws -> RedisTestServer {
        guard let binary = executable("redis-server", extraFolders: ["/usr/bin", "/usr/sbin"]) else {
            throw ServerError("redis-server is not installed; run scripts/test.sh, which installs it")
        }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("aegis-redis-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let port = try freeLoopbackPort()
        let pidFile = folder.appendingPathComponent("redis.pid").path
        var listen = ["--port", "\(port)"]
        var tlsConfiguration: TLSConfiguration?
        if tls {
            let files = try await makeCertificates(in: folder)
            listen = ["--port", "0", "--tls-port", "\(port)", "--tls-cert-file", files.certificate, "--tls-key-file", files.key,
                      "--tls-ca-cert-file", files.ca, "--tls-auth-clients", "no"]
            var configuration = TLSConfiguration.makeClientConfiguration()
            configuration.trustRoots = .file(files.ca)
            tlsConfiguration = configuration
        }
        try await runProgram(binary, ["--bind", "127.0.0.1"] + listen + ["--daemonize", "yes", "--pidfile", pidFile,
                                "--dir", folder.path, "--logfile", folder.appendingPathComponent("redis.log").path,
                                "--save", "", "--appendonly", "no"])
        let endpoint = tls ? RedisEndpoint(host: "localhost", port: port, useTLS: true) : RedisEndpoint(host: "127.0.0.1", port: port)
        var pid: pid_t = 0
        let ready = (try? await waitUntil("redis-server to answer PING", timeout: .seconds(45)) {
            if pid == 0, let text = try? String(contentsOfFile: pidFile, encoding: .utf8) {
                pid = pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
            }
            guard pid != 0, let connection = try? await RedisConnection.connect(to: endpoint, tls: tlsConfiguration) else { return false }
            let reply = try? await connection.send(RESPCommand("PING"))
            await connection.close()
            return reply == .simpleString("PONG")
        }) != nil
        let server = RedisTestServer(port: port, folder: folder, pid: pid, tlsConfiguration: tlsConfiguration)
        guard ready else {
            await server.stop()
            throw ServerError("redis-server did not answer PING on port \(port) within 15 s; its log: \(((try? String(contentsOf: folder.appendingPathComponent("redis.log"), encoding: .utf8)) ?? "").suffix(1500))")
        }
        return server
    }

    public func stop() async {
        await stopProcess(pid: pid)
        try? FileManager.default.removeItem(at: folder)
    }

    /// A connection as the default user (which has no password on this server).
    public func adminConnection() async throws -> RedisConnection {
        try await RedisConnection.connect(to: endpoint, tls: tlsConfiguration)
    }

    /// A CA and a server certificate for `localhost` / 127.0.0.1 (EC P-256, valid one day).
    public static func makeCertificates(in folder: URL) async throws -> (ca: String, certificate: String, key: String) {
        guard let openssl = executable("openssl", extraFolders: ["/usr/bin"]) else { throw ServerError("openssl is not installed") }
        func path(_ name: String) -> String { folder.appendingPathComponent(name).path }
        let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        try await runProgram(openssl, ["req", "-x509"] + ec + ["-keyout", path("ca.key"), "-out", path("ca.pem"), "-days", "1",
                                                          "-subj", "/CN=aegis-test-ca"])
        try await runProgram(openssl, ["req"] + ec + ["-keyout", path("server.key"), "-out", path("server.csr"), "-subj", "/CN=localhost"])
        try "subjectAltName=DNS:localhost,IP:127.0.0.1\n".write(toFile: path("san.cnf"), atomically: true, encoding: .utf8)
        try await runProgram(openssl, ["x509", "-req", "-in", path("server.csr"), "-CA", path("ca.pem"), "-CAkey", path("ca.key"),
                                       "-CAcreateserial", "-out", path("server.pem"), "-days", "1", "-extfile", path("san.cnf")])
        return (path("ca.pem"), path("server.pem"), path("server.key"))
    }

    @TaskLocal public static var current: RedisTestServer?

    public static func shared() throws -> RedisTestServer {
        guard let current else { throw ServerError("the suite has no .redisServer trait") }
        return current
    }
}

/// Starts one redis-server for the suite it is attached to and stops it by PID when the suite
/// ends, whether its tests passed or failed.
public struct RedisServerTrait: SuiteTrait, TestScoping {
    public var tls = false

    public func provideScope(for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void) async throws {
        let server = try await RedisTestServer.start(tls: tls)
        do {
            try await RedisTestServer.$current.withValue(server) { try await function() }
        } catch {
            await server.stop()
            throw error
        }
        await server.stop()
    }
}

extension Trait where Self == RedisServerTrait {
    public static var redisServer: Self { Self() }
    /// A server that speaks only TLS (`rediss://localhost:port`).
    public static var redisTLSServer: Self { Self(tls: true) }
}
