@testable import AegisRedis
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// A real redis-server on 127.0.0.1 and a free port, in a temp folder, with no persistence.
/// Its default user has no password; tests make their own users.
final class RedisTestServer: Sendable {
    let port: Int
    let folder: URL
    let pid: pid_t

    var endpoint: RedisEndpoint { RedisEndpoint(host: "127.0.0.1", port: port) }

    private init(port: Int, folder: URL, pid: pid_t) {
        self.port = port
        self.folder = folder
        self.pid = pid
    }

    static func start() async throws -> RedisTestServer {
        guard let binary = executable("redis-server", extraFolders: ["/usr/bin", "/usr/sbin"]) else {
            throw ServerError("redis-server is not installed; run scripts/test.sh, which installs it")
        }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("aegis-redis-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let port = try freeLoopbackPort()
        let pidFile = folder.appendingPathComponent("redis.pid").path
        try await runProgram(binary, ["--bind", "127.0.0.1", "--port", "\(port)", "--daemonize", "yes", "--pidfile", pidFile,
                                "--dir", folder.path, "--logfile", folder.appendingPathComponent("redis.log").path,
                                "--save", "", "--appendonly", "no"])
        var pid: pid_t = 0
        let ready = await waitUntil {
            if pid == 0, let text = try? String(contentsOfFile: pidFile, encoding: .utf8) {
                pid = pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
            }
            guard pid != 0, let connection = try? await RedisConnection.connect(to: RedisEndpoint(host: "127.0.0.1", port: port)) else { return false }
            let reply = try? await connection.send(RESPCommand("PING"))
            await connection.close()
            return reply == .simpleString("PONG")
        }
        let server = RedisTestServer(port: port, folder: folder, pid: pid)
        guard ready else {
            await server.stop()
            throw ServerError("redis-server did not answer on port \(port)")
        }
        return server
    }

    func stop() async {
        await stopProcess(pid: pid)
        try? FileManager.default.removeItem(at: folder)
    }

    /// A connection as the default user (which has no password on this server).
    func adminConnection() async throws -> RedisConnection {
        try await RedisConnection.connect(to: endpoint)
    }

    @TaskLocal static var current: RedisTestServer?

    static func shared() throws -> RedisTestServer {
        guard let current else { throw ServerError("the suite has no .redisServer trait") }
        return current
    }
}

/// Starts one redis-server for the suite it is attached to and stops it by PID when the suite
/// ends, whether its tests passed or failed.
struct RedisServerTrait: SuiteTrait, TestScoping {
    func provideScope(for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void) async throws {
        let server = try await RedisTestServer.start()
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
    static var redisServer: Self { Self() }
}
