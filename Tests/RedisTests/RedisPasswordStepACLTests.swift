import AegisAdapters
import AegisCore
@testable import AegisRedis
import AegisTestServers
import Foundation
import Testing

/// The `acl` strategy of Commands/redis-auth-token.yaml against a real redis-server: the old
/// password works, after `add` both do, after `remove-old` only the new one; connections that
/// logged in before keep working; rollbacks put things back; the plaintext never reaches Redis.
@Suite(.redisServer)
struct RedisPasswordStepACLTests {
    /// A fixture plus a fresh ACL user (unique per test, so tests run in parallel) holding the old password.
    struct Setup {
        let server: RedisTestServer
        let fixture: RotationFixture
        let user: String
        let step: RedisPasswordStep

        init() async throws {
            server = try RedisTestServer.shared()
            fixture = try await RotationFixture.make(secret: "redis-auth-token")
            user = "aegis-\(UUID().uuidString.prefix(8).lowercased())"
            step = RedisPasswordStep(admin: RedisURL(endpoint: server.endpoint))
            let admin = try await server.adminConnection()
            try await admin.run(RESPCommand("ACL", "SETUSER", user, "on", "#" + RedisACL.passwordHash(try await fixture.oldValue), "~*", "+@all"))
            await admin.close()
        }

        func context(_ name: String, facts: [String: String]? = nil) throws -> StepContext {
            fixture.context(try fixture.plannedStep(name, parameters: ["user": user]), facts: facts)
        }

        /// Logs in as the user with `value` and PINGs; the error when it is refused.
        func login(_ value: SecretValue) async -> RedisClientError? {
            do {
                _ = try await RedisLoginCheck.loginAndPing(RedisURL(endpoint: server.endpoint, user: user, password: value), tls: nil)
                return nil
            } catch {
                return error
            }
        }

        /// Every string in a reply, however deeply nested.
        static func texts(_ value: RESPValue) -> [String] {
            if let text = value.text { return [text] }
            return (value.array ?? []).flatMap(texts)
        }

        /// Everything Redis reports about the user's passwords, as text.
        func aclReport() async throws -> String {
            let admin = try await server.adminConnection()
            let list = try await admin.run(RESPCommand("ACL", "LIST"))
            let user = try await admin.run(RESPCommand("ACL", "GETUSER", self.user))
            await admin.close()
            return ([list, user].flatMap(Self.texts)).joined(separator: "\n")
        }
    }

    @Test func addThenRemoveOldSwitchesPasswordsWithOverlap() async throws {
        let setup = try await Setup()
        defer { setup.fixture.remove() }
        let old = try await setup.fixture.oldValue
        let new = try await setup.fixture.newValue
        #expect(await setup.login(old) == nil)
        #expect(await setup.login(new)?.isTransient == false)

        // A client that logged in with the old password before the rotation.
        let survivor = try await RedisConnection.connect(RedisURL(endpoint: setup.server.endpoint, user: setup.user, password: old))

        let added = try await setup.step.run(try setup.context("add-new-password"))
        #expect(added.contains("added the new password (version \(setup.fixture.newVersion))"))
        #expect(await setup.login(old) == nil)
        #expect(await setup.login(new) == nil)
        let admin = try await setup.server.adminConnection()
        let hashes = try #require(try await RedisACL.passwordHashes(user: setup.user, on: admin))
        await admin.close()
        #expect(hashes == [RedisACL.passwordHash(old), RedisACL.passwordHash(new)])

        // Idempotent: running again changes nothing.
        let again = try await setup.step.run(try setup.context("add-new-password"))
        #expect(again.contains("already present"))

        let removed = try await setup.step.run(try setup.context("remove-old-password"))
        #expect(removed.contains("removed the old password (version \(setup.fixture.oldVersion))"))
        guard case .reply(_, let code, _) = await setup.login(old) else { Issue.record("old password still logs in"); return }
        #expect(code == "WRONGPASS")
        #expect(await setup.login(new) == nil)
        #expect(try await survivor.run(RESPCommand("PING")) == .simpleString("PONG"))
        await survivor.close()

        let removedAgain = try await setup.step.run(try setup.context("remove-old-password"))
        #expect(removedAgain.contains("already removed"))

        // Redis only ever saw hashes.
        let report = try await setup.aclReport()
        #expect(report.contains(RedisACL.passwordHash(new)))
        let secrets = try await setup.fixture.secrets
        expectNoSecret(report, secrets, in: "ACL LIST / ACL GETUSER")
        expectNoSecret(setup.fixture.logs.text, secrets, in: "our logs")
    }

    @Test func rollbackOfAddRemovesTheNewPassword() async throws {
        let setup = try await Setup()
        defer { setup.fixture.remove() }
        _ = try await setup.step.run(try setup.context("add-new-password"))
        let summary = try await setup.step.rollback(try setup.context("add-new-password"))
        #expect(summary?.contains("removed the new password") == true)
        #expect(await setup.login(try await setup.fixture.oldValue) == nil)
        #expect(await setup.login(try await setup.fixture.newValue) != nil)
        // Nothing left to undo the second time.
        #expect(try await setup.step.rollback(try setup.context("add-new-password")) == nil)
        // Before generate recorded a new version there is nothing to undo either.
        #expect(try await setup.step.rollback(try setup.context("add-new-password", facts: [FactKey.oldVersion: setup.fixture.oldVersion])) == nil)
    }

    @Test func rollbackOfRemoveOldReaddsTheOldPassword() async throws {
        let setup = try await Setup()
        defer { setup.fixture.remove() }
        _ = try await setup.step.run(try setup.context("add-new-password"))
        _ = try await setup.step.run(try setup.context("remove-old-password"))
        #expect(await setup.login(try await setup.fixture.oldValue) != nil)
        let summary = try await setup.step.rollback(try setup.context("remove-old-password"))
        #expect(summary?.contains("re-added the old password") == true)
        #expect(await setup.login(try await setup.fixture.oldValue) == nil)
        #expect(await setup.login(try await setup.fixture.newValue) == nil)
        // The engine then undoes `add` (newest first): back to the old password alone.
        _ = try await setup.step.rollback(try setup.context("add-new-password"))
        #expect(await setup.login(try await setup.fixture.oldValue) == nil)
        #expect(await setup.login(try await setup.fixture.newValue) != nil)
        #expect(try await setup.step.rollback(try setup.context("remove-old-password")) == nil)
    }

    @Test func removeOldRefusesWhileTheNewPasswordIsMissing() async throws {
        let setup = try await Setup()
        defer { setup.fixture.remove() }
        let error = await #expect(throws: AdapterError.self) {
            _ = try await setup.step.run(try setup.context("remove-old-password"))
        }
        #expect(error?.isTransient == false)
        #expect(error?.description.contains("refusing to remove the old one") == true)
        #expect(await setup.login(try await setup.fixture.oldValue) == nil)
    }

    @Test func aMissingUserIsAClearPermanentError() async throws {
        let setup = try await Setup()
        defer { setup.fixture.remove() }
        let context = setup.fixture.context(try setup.fixture.plannedStep("add-new-password", parameters: ["user": "no-such-user-\(UUID().uuidString)"]))
        let error = await #expect(throws: AdapterError.self) { _ = try await setup.step.run(context) }
        #expect(error?.isTransient == false)
        #expect(error?.description.contains("does not exist") == true)
        #expect(error?.description.contains("redis 127.0.0.1:\(setup.server.port)") == true)
    }

    @Test func adminLoginRefusedNamesTheUserButNotThePassword() async throws {
        let setup = try await Setup()
        defer { setup.fixture.remove() }
        let adminPassword = "AdminPw\(UUID().uuidString.prefix(12))"
        let step = RedisPasswordStep(admin: RedisURL(endpoint: setup.server.endpoint, user: "ops-admin", password: SecretValue(utf8: adminPassword)))
        let error = await #expect(throws: AdapterError.self) { _ = try await step.run(try setup.context("add-new-password")) }
        #expect(error?.isTransient == false)
        #expect(error?.description.contains("admin login as 'ops-admin'") == true)
        #expect(error?.description.contains("WRONGPASS") == true)
        expectNoSecret(error?.description ?? "", [adminPassword] + (try await setup.fixture.secrets), in: "the error")
    }

    @Test func anUnreachableServerIsTransient() async throws {
        let setup = try await Setup()
        defer { setup.fixture.remove() }
        let step = RedisPasswordStep(admin: RedisURL(endpoint: RedisEndpoint(host: "127.0.0.1", port: try freeLoopbackPort())))
        let error = await #expect(throws: AdapterError.self) { _ = try await step.run(try setup.context("add-new-password")) }
        #expect(error?.isTransient == true)
    }

    @Test func loginCheckPassesForTheLiveVersionAndFailsForARemovedOne() async throws {
        let setup = try await Setup()
        defer { setup.fixture.remove() }
        let check = CheckDefinition(kind: .redisLogin)
        let runner = RedisLoginCheck(endpoint: setup.server.endpoint, user: setup.user)
        let before = await runner.run(check, context: setup.fixture.checkContext(expecting: setup.fixture.oldVersion))
        #expect(before.status == .passed)
        let notYet = await runner.run(check, context: setup.fixture.checkContext(expecting: setup.fixture.newVersion))
        #expect(notYet.status == .failed)
        #expect(notYet.detail.contains("WRONGPASS"))

        _ = try await setup.step.run(try setup.context("add-new-password"))
        _ = try await setup.step.run(try setup.context("remove-old-password"))
        let after = await runner.run(check, context: setup.fixture.checkContext(expecting: setup.fixture.newVersion))
        #expect(after.status == .passed)
        #expect(after.detail.contains("PONG"))
        let stale = await runner.run(check, context: setup.fixture.checkContext(expecting: setup.fixture.oldVersion))
        #expect(stale.status == .failed)
        let secrets = try await setup.fixture.secrets
        for result in [before, notYet, after, stale] { expectNoSecret(result.detail, secrets, in: "a check result") }
    }

    @Test func loginCheckFindsTheUserInTheCommandsFile() async throws {
        let fixture = try await RotationFixture.make(secret: "redis-auth-token")
        defer { fixture.remove() }
        #expect(RedisLoginCheck.aclUser(of: fixture.definition) == "aegis")
        let requirepass = try await RotationFixture.make(secret: "redis-auth-token", strategy: "requirepass")
        defer { requirepass.remove() }
        #expect(RedisLoginCheck.aclUser(of: requirepass.definition) == nil)
    }

    /// ElastiCache's token changes through the AWS API (`elasticache-auth-token`): a Commands file
    /// still asking `redis-password` for `mode: elasticache` is refused when it loads, naming the kind.
    @Test func elasticacheModeIsRefusedAtLoad() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("aegis-redis-mode-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let text = try String(contentsOf: repositoryCommands.appendingPathComponent("redis-auth-token.yaml"), encoding: .utf8)
            .replacingOccurrences(of: "      mode: acl\n      user: aegis\n      phase: add", with: "      mode: elasticache\n      user: aegis\n      phase: add")
        try text.write(to: folder.appendingPathComponent("redis-auth-token.yaml"), atomically: true, encoding: .utf8)
        let error = #expect(throws: InventoryLoadError.self) { _ = try InventoryLoader.load(directory: folder, catalog: AdapterModules.catalog) }
        #expect(error?.description.contains("ElastiCache changes its AUTH token through the AWS API") == true, "\(String(describing: error))")
    }
}
