import AegisAWS
import AegisCore
import AegisSlackTestSupport
import AegisTestServers
import Foundation
import SlackFake
import Testing

/// The Slack bot (`SlackBot.build`, Socket Mode against the in-repo Slack fake) with
/// `AEGIS_ENV=production`: alice asks with `/rotate`, carol from #security-ops approves with the
/// button, and the rotation runs against Secrets Manager at moto, the Kubernetes API fake, the
/// aegis-api fake, PostgreSQL and redis-server. Each test checks the systems afterwards, the
/// thread the bot wrote, and that no secret value reached Slack, the log or the state store.
@Suite("production Slack bot: rotations through Slack against real servers", .productionWorld, .serialized,
       .timeLimit(.minutes(10)))
struct SlackProductionRotationTests {
    @Test("JWT HS256, single rollout: new key signs, old key verifies until the bot's grace timer removes it")
    func jwtHS256() async throws {
        try await Scenario.with { scenario in
            let old = try #require(scenario.initialVersions["jwt-signing-key"])
            let oldValue = try #require(try await scenario.value("jwt-signing-key", old))

            try await scenario.withSlackBot(["AEGIS_JWT_GRACE": "5s"]) { bot in
                let request = try await scenario.rotateInSlack(bot, "jwt quarterly rotation")
                // Read before the 5 s grace period ends.
                var config = await scenario.configMap()
                let new = try #require(try await scenario.version("jwt-signing-key", .current))
                #expect(new != old)
                #expect(try await scenario.version("jwt-signing-key", .previous) == old)
                let newValue = try #require(try await scenario.value("jwt-signing-key", new))
                #expect(config["jwt.signing_key"] == newValue, "jwt.signing_key is not the new version's value")
                #expect(config["jwt.signing_key_id"] == new)
                #expect(config["jwt.previous_signing_key"] == oldValue, "jwt.previous_signing_key is not the old version's value")
                #expect(config["jwt.previous_signing_key_id"] == old)
                #expect(await scenario.restartCount() == 1)

                let thread = await bot.threadText(request)
                try expectSteps(["generate", "deploy-config", "restart", "verify", "promote", "grace-cleanup"], in: thread)
                #expect(thread.contains("🎉 R-1 completed: jwt-signing-key current = \(new), previous = \(old)."))
                #expect(thread.contains("configmap aegis-config: jwt.previous_signing_key = old version, jwt.signing_key = new version"))
                try expectVerification([
                    "config jwt.signing_key holds the current version: version \(new), matches the store",
                    "tokens verify by kid: verified: new kid \(new) (HS256), grace kid \(old)",
                    "smoke test /api/v1/findings: HTTP 200",
                ], in: thread)
                #expect(thread.contains("old key stays valid for 5s; removal of jwt.previous_signing_key scheduled for"))

                try await bot.waitForThread(request, containing: "🧹 Grace period over for R-1: removed jwt.previous_signing_key",
                                            timeout: .seconds(90))
                config = await scenario.configMap()
                #expect(config["jwt.previous_signing_key"] == nil)
                #expect(config["jwt.previous_signing_key_id"] == nil)
                #expect(config["jwt.signing_key"] == newValue, "jwt.signing_key changed during the grace clean-up")
                #expect(config["jwt.signing_key_id"] == new)
                try await expectCleanRun(scenario, bot)
            }
        }
    }

    @Test("JWT RS256, verify-first: two rollouts; the config holds the new version's PEM and its kid")
    func jwtRS256VerifyFirst() async throws {
        try await Scenario.with(edit: CommandsEdits.jwtVerifyFirstRS256) { scenario in
            let old = try #require(scenario.initialVersions["jwt-signing-key"])
            let oldValue = try #require(try await scenario.value("jwt-signing-key", old))
            #expect(oldValue.hasPrefix("-----BEGIN"), "the seeded key is not a PEM")

            try await scenario.withSlackBot { bot in
                let request = try await scenario.rotateInSlack(bot, "jwt move to RS256")
                let new = try #require(try await scenario.version("jwt-signing-key", .current))
                #expect(new != old)
                #expect(try await scenario.version("jwt-signing-key", .previous) == old)
                let newValue = try #require(try await scenario.value("jwt-signing-key", new))
                #expect(newValue.hasPrefix("-----BEGIN") && newValue.contains("PRIVATE KEY-----"), "the new version is not a PEM private key")
                let config = await scenario.configMap()
                #expect(config["jwt.signing_key"] == newValue, "jwt.signing_key is not the new version's PEM")
                #expect(config["jwt.signing_key_id"] == new)
                #expect(config["jwt.previous_signing_key"] == oldValue, "jwt.previous_signing_key is not the old version's PEM")
                #expect(config["jwt.previous_signing_key_id"] == old)
                #expect(config["jwt.next_signing_key"] == nil)
                #expect(config["jwt.next_signing_key_id"] == nil)
                #expect(await scenario.restartCount() == 2)

                let thread = await bot.threadText(request)
                try expectSteps(["generate", "deploy-verify-only", "restart-verify-only", "deploy-signing", "restart-signing",
                                 "verify", "promote", "grace-cleanup"], in: thread)
                #expect(thread.contains("configmap aegis-config: jwt.next_signing_key = new version"))
                #expect(thread.contains("jwt.previous_signing_key = old version, jwt.signing_key = new version, removed jwt.next_signing_key"))
                #expect(thread.contains("🎉 R-1 completed: jwt-signing-key current = \(new), previous = \(old)."))
                try expectVerification([
                    "config jwt.signing_key holds the current version: version \(new), matches the store",
                    "tokens verify by kid: verified: new kid \(new) (RS256), grace kid \(old)",
                    "smoke test /api/v1/findings: HTTP 200",
                ], in: thread)
                try await expectCleanRun(scenario, bot)
            }
        }
    }

    @Test("PostgreSQL, manual: ALTER ROLE through the bot; only the new password logs in and it is the stored one")
    func postgresManual() async throws {
        try await Scenario.with { scenario in
            let old = try #require(scenario.initialVersions["postgres-password"])
            let oldPassword = try #require(try await scenario.value("postgres-password", old))
            #expect(await scenario.postgresAccepts(oldPassword))

            try await scenario.withSlackBot { bot in
                let request = try await scenario.rotateInSlack(bot, "postgres quarterly rotation")
                let new = try #require(try await scenario.version("postgres-password", .current))
                #expect(new != old)
                #expect(try await scenario.version("postgres-password", .previous) == old)
                let newPassword = try #require(try await scenario.value("postgres-password", stage: .current))
                #expect(newPassword != oldPassword)
                #expect(await scenario.postgresAccepts(newPassword), "PostgreSQL refuses the stored AWSCURRENT password")
                #expect(await scenario.postgresAccepts(oldPassword) == false, "PostgreSQL still accepts the old password")
                #expect(await scenario.restartCount() == 1)

                let thread = await bot.threadText(request)
                try expectSteps(["generate", "alter-role-password", "promote", "restart", "verify"], in: thread)
                #expect(thread.contains("role aegis at 127.0.0.1:\(scenario.world.postgres.port): password set to version \(new) (SCRAM-SHA-256 verifier)"))
                #expect(thread.contains("🎉 R-1 completed: postgres-password current = \(new), previous = \(old)."))
                try expectVerification([
                    "SELECT 1 with the stored password: 127.0.0.1:\(scenario.world.postgres.port): role aegis logged in with version \(new)",
                    "health .components.database: database: ok",
                    "pod logs free of auth errors:",
                    "smoke test /api/v1/findings: HTTP 200",
                ], in: thread)
                try await expectCleanRun(scenario, bot)
            }
        }
    }

    @Test("Redis, ACL: new password added, verified, old one removed; only the new one works after")
    func redisACL() async throws {
        try await Scenario.with { scenario in
            let old = try #require(scenario.initialVersions["redis-auth-token"])
            let oldPassword = try #require(try await scenario.value("redis-auth-token", old))
            #expect(await scenario.redisAccepts(oldPassword))

            try await scenario.withSlackBot { bot in
                let request = try await scenario.rotateInSlack(bot, "redis quarterly rotation")
                let new = try #require(try await scenario.version("redis-auth-token", .current))
                #expect(new != old)
                #expect(try await scenario.version("redis-auth-token", .previous) == old)
                let newPassword = try #require(try await scenario.value("redis-auth-token", stage: .current))
                #expect(await scenario.redisAccepts(newPassword), "redis refuses the stored AWSCURRENT password")
                #expect(await scenario.redisAccepts(oldPassword) == false, "redis still accepts the old password")

                let thread = await bot.threadText(request)
                try expectSteps(["generate", "add-new-password", "promote", "restart", "verify", "remove-old-password"], in: thread)
                #expect(thread.contains("ACL user aegis: added the new password (version \(new)) as a SHA-256 hash; 2 password(s) valid"))
                #expect(thread.contains("ACL user aegis: removed the old password (version \(old)); 1 password(s) valid"))
                #expect(thread.contains("🎉 R-1 completed: redis-auth-token current = \(new), previous = \(old)."))
                try expectVerification([
                    "Redis AUTH + PING with the stored password: 127.0.0.1:\(scenario.world.redis.port): ACL user aegis logged in with version \(new)",
                    "health .components.cache: cache: ok",
                    "pod logs free of auth errors:",
                ], in: thread)
                try await expectCleanRun(scenario, bot)
            }
        }
    }

    @Test("IAM access keys: new key works with STS, old key inactive, then deleted by the durable grace timer")
    func iamAccessKeys() async throws {
        try await Scenario.with { scenario in
            let old = try #require(scenario.initialVersions["aws-iam-access-keys"])
            let oldKey = try await scenario.accessKeyID(of: old)
            #expect(try await scenario.iamKeys() == [oldKey: .active])

            try await scenario.withSlackBot(["AEGIS_IAM_GRACE": "5s"]) { bot in
                let request = try await scenario.rotateInSlack(bot, "iam quarterly rotation")
                // Read before the 5 s grace period ends.
                let keys = try await scenario.iamKeys()
                let new = try #require(try await scenario.version("aws-iam-access-keys", .current))
                #expect(new != old)
                #expect(try await scenario.version("aws-iam-access-keys", .previous) == old)
                let newKey = try await scenario.accessKeyID(of: new)
                #expect(newKey != oldKey)
                #expect(keys == [oldKey: .inactive, newKey: .active])
                #expect(try await scenario.stsAccepts(pairOf: new), "STS refuses the new stored key pair")

                let thread = await bot.threadText(request)
                try expectSteps(["create-access-key", "promote", "restart", "verify", "deactivate-old-key", "delete-old-key"], in: thread)
                #expect(thread.contains("🎉 R-1 completed: aws-iam-access-keys current = \(new), previous = \(old)."))
                #expect(thread.contains("created access key \(newKey) for aegis-api, stored as pending version \(new) (old key \(oldKey))"))
                #expect(thread.contains("old access key \(oldKey) of aegis-api is Inactive"))
                #expect(thread.contains("old access key \(oldKey) of aegis-api stays Inactive for 5s; deletion scheduled for"))
                try expectVerification([
                    "STS GetCallerIdentity with the new key: key \(newKey) (version \(new)) is arn:aws:iam::",
                    "pod logs free of auth errors:",
                    "smoke test /api/v1/findings: HTTP 200",
                ], in: thread)

                try await bot.waitForThread(request, containing: "🧹 Grace period over for R-1: deleted old access key \(oldKey) of aegis-api",
                                            timeout: .seconds(90))
                #expect(try await scenario.iamKeys() == [newKey: .active])
                #expect(try await scenario.stsAccepts(pairOf: new), "STS refuses the new key after the old one was deleted")
                try await expectCleanRun(scenario, bot)
            }
        }
    }
}

// MARK: - Shared checks

/// Every step has its `✓ Step i/n \`name\`` line in the thread, in plan order.
private func expectSteps(_ names: [String], in thread: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
    var rest = Substring(thread)
    for (index, name) in names.enumerated() {
        let line = "✓ Step \(index + 1)/\(names.count) `\(name)`"
        let found = try #require(rest.range(of: line), "no thread line \(line) (in order)", sourceLocation: sourceLocation)
        rest = rest[found.upperBound...]
    }
}

/// The thread has the verification results message, passed, with no failed check and a passed
/// line starting with each of `checks` (title and the start of its detail).
private func expectVerification(_ checks: [String], in thread: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
    #expect(thread.contains("Verification after rotation (R-1): passed"), sourceLocation: sourceLocation)
    #expect(!thread.contains("Verification after rotation (R-1): FAILED"), sourceLocation: sourceLocation)
    let lines = thread.split(separator: "\n")
    #expect(!lines.contains { $0.hasPrefix("✗ ") }, "a failed check: \(lines.filter { $0.hasPrefix("✗ ") })", sourceLocation: sourceLocation)
    for check in checks {
        #expect(lines.contains { $0.hasPrefix("✓ " + check) }, "no passed check: \(check)", sourceLocation: sourceLocation)
    }
}

/// No secret the scenario holds (every stored version, every configmap value, the bot's own
/// credentials) in what the bot sent to Slack or acked, its log, or its state store files; and no
/// escalation in #platform-support.
private func expectCleanRun(_ scenario: Scenario, _ bot: SlackHarness, sourceLocation: SourceLocation = #_sourceLocation) async throws {
    let values = try await scenario.allSecretValues()
    #expect(values.count >= 8, "too few secret values to scan for: \(values.count)", sourceLocation: sourceLocation)
    let outputs = await bot.botOutputs()
    #expect(Set(outputs.keys).isSuperset(of: ["web api", "acks", "bot.log", "state.sqlite"]), "missing outputs: \(outputs.keys.sorted())",
            sourceLocation: sourceLocation)
    // The scan sees what it scans: known non-secret text is found where it must be.
    #expect(await bot.leaks(of: ["Verification after rotation (R-1)"]).contains("web api"), sourceLocation: sourceLocation)
    #expect(await bot.leaks(of: ["rotation completed"]).contains("bot.log"), sourceLocation: sourceLocation)
    let leaks = await bot.leaks(of: values)
    #expect(leaks.isEmpty, "secret values found in: \(leaks)", sourceLocation: sourceLocation)
    // Nothing went wrong on the way: no escalation in #platform-support.
    #expect(await bot.messages(in: People.platformSupport).isEmpty, "an escalation was posted", sourceLocation: sourceLocation)
}

private extension Scenario {
    /// The access key ID of the pair stored as `version` of aws-iam-access-keys.
    func accessKeyID(of version: String) async throws -> String {
        let stored = try #require(try await store.value(secret: try definition("aws-iam-access-keys").storage, versionID: version))
        return try IAMAccessKeyPair(stored: stored, versionID: version).accessKeyID
    }
}
