import AegisTestServers
import Foundation
import Testing

/// The real servers a production suite shares: PostgreSQL 15, redis-server and moto (signature
/// checking on), all on 127.0.0.1 and free ports, started once for the suite and stopped by PID
/// afterwards. Each test builds a ``Scenario`` on top, which resets them to a known state.
final class ProductionWorld: Sendable {
    let postgres: PostgresTestServer
    let redis: RedisTestServer
    let moto: MotoServer

    init(postgres: PostgresTestServer, redis: RedisTestServer, moto: MotoServer) {
        self.postgres = postgres
        self.redis = redis
        self.moto = moto
    }

    @TaskLocal static var current: ProductionWorld?

    static func shared() throws -> ProductionWorld {
        guard let current else { throw ServerError("the suite has no .productionWorld trait") }
        return current
    }
}

/// Starts the world for the suite it is attached to; stops every server whether tests passed or not.
struct ProductionWorldTrait: SuiteTrait, TestScoping {
    func provideScope(for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void) async throws {
        let postgres = try await PostgresTestServer.start()
        let redis: RedisTestServer
        do { redis = try await RedisTestServer.start() } catch {
            await postgres.stop()
            throw error
        }
        do {
            try await MotoServer.withMoto { moto in
                try await ProductionWorld.$current.withValue(ProductionWorld(postgres: postgres, redis: redis, moto: moto)) {
                    try await function()
                }
            }
        } catch {
            await redis.stop()
            await postgres.stop()
            throw error
        }
        await redis.stop()
        await postgres.stop()
    }
}

extension Trait where Self == ProductionWorldTrait {
    static var productionWorld: Self { Self() }
}
