import AegisCore
import AegisSlackTestSupport
import AegisTestServers
import Foundation
import Testing

/// The Redis AUTH token with `strategy: elasticache` (the only edit to the shipped Commands file),
/// against the ElastiCache fake driving the shared redis-server: ROTATE leaves both tokens valid
/// through restart and verification, SET then drops the old one — at once in the shell (no grace),
/// and as the durable timer after the grace period through Slack. SIGKILL after every step is in
/// `ProductionCrashTests` (strategy `redis-auth-token elasticache`).
@Suite("production: Redis AUTH token via ElastiCache ROTATE → SET", .productionWorld, .serialized, .timeLimit(.minutes(10)))
struct ElastiCacheRotationTests {
    static func with(_ body: @Sendable (Scenario, ElastiCacheSetup) async throws -> Void) async throws {
        try await Scenario.with(edit: CommandsEdits.redisElastiCache) { scenario in
            let setup = try await ElastiCacheSetup.start(scenario)
            do {
                try await body(scenario, setup)
                try await setup.stop()
            } catch {
                try? await setup.stop()
                throw error
            }
        }
    }

    static func leaks(_ scenario: Scenario, _ setup: ElastiCacheSetup, outputs: [String]) async throws -> [String] {
        let values = try await scenario.allSecretValues() + [setup.redis.adminPassword]
        return LeakScanner.leaks(of: values, in: LeakScanner.haystacks(scenario.workspace, outputs: outputs + [setup.fake.log]))
    }

    @Test("shell, no grace: ROTATE, restart, Redis login with the new token, SET; only the new token works; nothing leaks")
    func shell() async throws {
        try await Self.with { scenario, setup in
            let old = try #require(try await scenario.value("redis-auth-token", stage: .current))
            let run = try await scenario.rotateInShell("redis", environment: setup.environment())
            #expect(run.stdout.contains("🎉 R-1 completed"), "\(run.stdout)\n\(run.stderr)")
            let new = try #require(try await scenario.value("redis-auth-token", stage: .current))
            #expect(new != old)
            #expect(try await scenario.value("redis-auth-token", stage: .previous) == old)
            #expect(try await setup.modifications() == ["ROTATE", "SET"])
            #expect(try await setup.tokens() == [new])
            #expect(await setup.redis.defaultUserAccepts(new))
            #expect(!(await setup.redis.defaultUserAccepts(old)), "SET dropped the old token")
            #expect(await scenario.restartCount() >= 1)
            let leaks = try await Self.leaks(scenario, setup, outputs: [run.stdout, run.stderr])
            #expect(leaks.isEmpty, "secret values found in: \(leaks)")
        }
    }

    @Test("Slack, 2 s grace: completed and verified, then the durable timer's SET drops the old token; nothing leaks")
    func slack() async throws {
        try await Self.with { scenario, setup in
            let old = try #require(try await scenario.value("redis-auth-token", stage: .current))
            try await scenario.withSlackBot(setup.environment(grace: "2s")) { bot in
                let request = try await scenario.rotateInSlack(bot, "redis quarterly")
                let thread = await bot.threadText(request)
                #expect(thread.contains("🎉 R-1 completed"), "\(thread)")
                #expect(thread.contains("Verification after rotation (R-1): passed"), "\(thread)")
                let new = try #require(try await scenario.value("redis-auth-token", stage: .current))
                #expect(new != old)

                let deadline = ContinuousClock.now + .seconds(30)
                while try await setup.modifications() != ["ROTATE", "SET"], ContinuousClock.now < deadline {
                    try await Task.sleep(for: .milliseconds(100))
                }
                #expect(try await setup.modifications() == ["ROTATE", "SET"], "the timer sent SET within 30 s of a 2 s grace")
                let settled = ContinuousClock.now + .seconds(10)
                while try await setup.tokens() != [new], ContinuousClock.now < settled { try await Task.sleep(for: .milliseconds(100)) }
                #expect(await setup.redis.defaultUserAccepts(new))
                #expect(!(await setup.redis.defaultUserAccepts(old)), "SET dropped the old token")

                let values = try await scenario.allSecretValues() + [setup.redis.adminPassword]
                let leaks = await bot.leaks(of: values) + (try await Self.leaks(scenario, setup, outputs: []))
                #expect(leaks.isEmpty, "secret values found in: \(leaks)")
            }
        }
    }
}
