import AegisCore
@testable import AegisRedis
import AegisTestServers
import Foundation
import Testing

/// The `requirepass` strategy against its own redis-server (it changes the default user's
/// password). The admin connection is a separate ACL user, as the step's documentation asks.
@Suite(.redisServer)
struct RedisRequirepassTests {
    @Test func setAndRollBack() async throws {
        let server = try RedisTestServer.shared()
        let fixture = try await RotationFixture.make(secret: "redis-auth-token", strategy: "requirepass")
        defer { fixture.remove() }
        let old = try await fixture.oldValue
        let new = try await fixture.newValue
        let adminPassword = SecretValue(utf8: "admin-\(UUID().uuidString)")

        let bootstrap = try await server.adminConnection()
        try await bootstrap.run(RESPCommand([.text("ACL"), .text("SETUSER"), .text("ops-admin"), .text("on"),
                                             .text("#" + RedisACL.passwordHash(adminPassword)), .text("~*"), .text("&*"), .text("+@all")]))
        try await bootstrap.run(RESPCommand([.text("CONFIG"), .text("SET"), .text("requirepass"), .secret(old)]))
        await bootstrap.close()

        func login(_ value: SecretValue) async -> Bool {
            (try? await RedisLoginCheck.loginAndPing(RedisURL(endpoint: server.endpoint, password: value), tls: nil)) == .simpleString("PONG")
        }
        #expect(await login(old))
        #expect(!(await login(new)))

        let step = RedisPasswordStep(admin: RedisURL(endpoint: server.endpoint, user: "ops-admin", password: adminPassword))
        let summary = try await step.run(fixture.context(try fixture.plannedStep("set-password")))
        #expect(summary == "requirepass set to version \(fixture.newVersion)")
        #expect(!(await login(old)))
        #expect(await login(new))

        let check = RedisLoginCheck(endpoint: server.endpoint)
        let passed = await check.run(CheckDefinition(kind: .redisLogin), context: fixture.checkContext(expecting: fixture.newVersion))
        #expect(passed.status == .passed)
        #expect(passed.detail.contains("the default user"))
        let failed = await check.run(CheckDefinition(kind: .redisLogin), context: fixture.checkContext(expecting: fixture.oldVersion))
        #expect(failed.status == .failed)

        let restored = try await step.rollback(fixture.context(try fixture.plannedStep("set-password")))
        #expect(restored == "requirepass set to version \(fixture.oldVersion)")
        #expect(await login(old))
        #expect(!(await login(new)))

        let secrets = try await fixture.secrets
        expectNoSecret(fixture.logs.text, secrets, in: "our logs")
        expectNoSecret(passed.detail + failed.detail, secrets, in: "the check results")
    }
}
