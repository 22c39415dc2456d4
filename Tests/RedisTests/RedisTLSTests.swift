import AegisCore
@testable import AegisRedis
import AegisTestServers
import Foundation
import NIOSSL
import Testing

/// `rediss://`: the client completes a verified TLS handshake, runs the step over it, and refuses
/// a server its trust roots do not vouch for.
@Suite(.redisTLSServer)
struct RedisTLSTests {
    @Test func commandsAndTheStepRunOverVerifiedTLS() async throws {
        let server = try RedisTestServer.shared()
        let url = try RedisURL(parsing: "rediss://localhost:\(server.port)")
        let connection = try await RedisConnection.connect(url, tls: server.tlsConfiguration)
        #expect(try await connection.run(RESPCommand("PING")) == .simpleString("PONG"))

        let fixture = try await RotationFixture.make(secret: "redis-auth-token")
        defer { fixture.remove() }
        let user = "aegis-tls"
        try await connection.run(RESPCommand("ACL", "SETUSER", user, "on", "#" + RedisACL.passwordHash(try await fixture.oldValue), "~*", "+@all"))
        await connection.close()

        let step = RedisPasswordStep(admin: url, tls: server.tlsConfiguration)
        _ = try await step.run(fixture.context(try fixture.plannedStep("add-new-password", parameters: ["user": user])))
        let check = RedisLoginCheck(endpoint: url.endpoint, user: user, tls: server.tlsConfiguration)
        let result = await check.run(CheckDefinition(kind: .redisLogin), context: fixture.checkContext(expecting: fixture.newVersion))
        #expect(result.status == .passed)
        #expect(result.detail.hasPrefix("rediss://localhost:\(server.port)"))
    }

    /// Repeated, because whether the handshake fails before or after the first command is
    /// written is a race, and both orders must report the TLS failure (not "connection closed").
    @Test func anUntrustedCertificateIsAPermanentTLSError() async throws {
        let server = try RedisTestServer.shared()
        for attempt in 1...20 {
            let error = await #expect(throws: RedisClientError.self) {
                _ = try await RedisConnection.connect(to: server.endpoint, tls: .makeClientConfiguration())
            }
            guard case .tls = error else { Issue.record("attempt \(attempt): expected a TLS error, got \(String(describing: error))"); return }
            #expect(error?.isTransient == false)
        }
    }
}
