import AegisCore
@testable import AegisPostgres
import AegisTestServers
import Foundation
import PostgresNIO
import Testing

/// Against a fresh PostgreSQL 15 cluster: the verifier is what the server accepts, the step
/// changes and restores the role's password, the check logs in, failures are typed and clear,
/// and the server log shows verifiers but never a plaintext password.
@Suite(.postgresServer)
struct PostgresPasswordTests {
    /// A fixture and a fresh login role (unique per test) whose password is the old version.
    struct Setup {
        let server: PostgresTestServer
        let fixture: RotationFixture
        let role: String
        let step: AlterRolePasswordStep

        init() async throws {
            server = try PostgresTestServer.shared()
            fixture = try await RotationFixture.make(secret: "postgres-password")
            role = "aegis_\(UUID().uuidString.prefix(8).lowercased())"
            step = AlterRolePasswordStep(admin: server.adminURL)
            let verifier = try SCRAMVerifier.make(password: try await fixture.oldValue)
            try await server.admin("CREATE ROLE \"\(role)\" LOGIN PASSWORD '\(verifier)'")
        }

        func context(facts: [String: String]? = nil) throws -> StepContext {
            fixture.context(try fixture.plannedStep("alter-role-password", parameters: ["role": role]), facts: facts)
        }

        /// Logs in as the role with `value` and runs SELECT 1; nil when it worked, else the error.
        func login(_ value: SecretValue) async -> AdapterError? {
            do {
                _ = try await PostgresSession.with(server.adminURL.with(user: role, password: value), operation: "SELECT 1",
                                                   logger: fixture.logs.logger()) { connection in
                    try await connection.query("SELECT 1", logger: fixture.logs.logger())
                }
                return nil
            } catch let error as AdapterError {
                return error
            } catch {
                return AdapterError(system: "test", operation: "login", message: "\(type(of: error))", isTransient: false)
            }
        }
    }

    @Test func verifierLogsInAndTheOldPasswordThenFails() async throws {
        let setup = try await Setup()
        defer { setup.fixture.remove() }
        let old = try await setup.fixture.oldValue
        let new = try await setup.fixture.newValue
        #expect(await setup.login(old) == nil)
        let verifier = try SCRAMVerifier.make(password: new)
        try await setup.server.admin("ALTER ROLE \"\(setup.role)\" PASSWORD '\(verifier)'")
        #expect(await setup.login(new) == nil)
        let refused = await setup.login(old)
        #expect(refused?.isTransient == false)
        #expect(refused?.description.contains("28P01") == true)
    }

    /// The control for the log check below: a plaintext `ALTER ROLE … PASSWORD` does land in this
    /// server's log, so finding no plaintext after the step means something.
    @Test func aPlaintextPasswordWouldShowInTheServerLog() async throws {
        let setup = try await Setup()
        defer { setup.fixture.remove() }
        let throwaway = "Plain\(UUID().uuidString.replacingOccurrences(of: "-", with: ""))"
        try await setup.server.admin("ALTER ROLE \"\(setup.role)\" PASSWORD '\(throwaway)'")
        let logged = try setup.server.log().contains(throwaway)
        #expect(logged, "log_statement=all should have logged the statement")
    }

    @Test func stepForwardAndRollback() async throws {
        let setup = try await Setup()
        defer { setup.fixture.remove() }
        let old = try await setup.fixture.oldValue
        let new = try await setup.fixture.newValue
        let summary = try await setup.step.run(try setup.context())
        #expect(summary == "role \(setup.role) at 127.0.0.1:\(setup.server.port): password set to version \(setup.fixture.newVersion) (SCRAM-SHA-256 verifier)")
        #expect(await setup.login(new) == nil)
        #expect(await setup.login(old) != nil)
        // Running it again (a crash re-run) leaves the new password working.
        _ = try await setup.step.run(try setup.context())
        #expect(await setup.login(new) == nil)

        let restored = try await setup.step.rollback(try setup.context())
        #expect(restored == "role \(setup.role) at 127.0.0.1:\(setup.server.port): password set back to version \(setup.fixture.oldVersion)")
        #expect(await setup.login(old) == nil)
        #expect(await setup.login(new) != nil)
        #expect(try await setup.step.rollback(try setup.context(facts: [FactKey.oldVersion: setup.fixture.oldVersion])) == nil)

        // The server saw verifiers only; nothing logged on our side holds a value either.
        let log = try setup.server.log()
        #expect(log.contains("ALTER ROLE \"\(setup.role)\" PASSWORD 'SCRAM-SHA-256$4096:"))
        let secrets = try await setup.fixture.secrets
        expectNoSecret(log, secrets, in: "the server log")
        expectNoSecret(setup.fixture.logs.text, secrets, in: "our logs")
    }

    @Test func existingSessionsSurviveThePasswordChange() async throws {
        let setup = try await Setup()
        defer { setup.fixture.remove() }
        let url = setup.server.adminURL.with(user: setup.role, password: try await setup.fixture.oldValue)
        try await PostgresSession.with(url, operation: "session", logger: setup.fixture.logs.logger()) { connection in
            _ = try await setup.step.run(try setup.context())
            let rows = try await connection.query("SELECT 2", logger: setup.fixture.logs.logger()).collect()
            #expect(rows.count == 1)
        }
    }

    @Test func loginCheckPassesAndFails() async throws {
        let setup = try await Setup()
        defer { setup.fixture.remove() }
        let check = CheckDefinition(kind: .postgresLogin)
        let runner = PostgresLoginCheck(server: setup.server.adminURL, role: setup.role)
        let before = await runner.run(check, context: setup.fixture.checkContext(expecting: setup.fixture.oldVersion))
        #expect(before.status == .passed)
        #expect(before.detail.contains("SELECT 1 returned 1"))
        let early = await runner.run(check, context: setup.fixture.checkContext(expecting: setup.fixture.newVersion))
        #expect(early.status == .failed)
        #expect(early.detail.contains("28P01"))
        #expect(early.detail.contains(setup.role))
        _ = try await setup.step.run(try setup.context())
        let after = await runner.run(check, context: setup.fixture.checkContext(expecting: setup.fixture.newVersion))
        #expect(after.status == .passed)
        let missing = await runner.run(check, context: setup.fixture.checkContext(expecting: "v-not-there"))
        #expect(missing.status == .failed)
        #expect(missing.detail.contains("missing from the store"))
        let secrets = try await setup.fixture.secrets
        for result in [before, early, after] { expectNoSecret(result.detail, secrets, in: "a check result") }
        #expect(PostgresLoginCheck.role(of: setup.fixture.definition) == "aegis")
    }

    @Test func adminLoginRefusedIsAClearPermanentError() async throws {
        let setup = try await Setup()
        defer { setup.fixture.remove() }
        var admin = setup.server.adminURL
        let wrong = "WrongAdmin\(UUID().uuidString.prefix(12))"
        admin.password = SecretValue(utf8: wrong)
        let error = await #expect(throws: AdapterError.self) { _ = try await AlterRolePasswordStep(admin: admin).run(try setup.context()) }
        #expect(error?.isTransient == false)
        let text = error?.description ?? ""
        #expect(text.contains("127.0.0.1:\(setup.server.port)"))
        #expect(text.contains("login as role 'postgres' (DATABASE_URL)"))
        #expect(text.contains("ALTER ROLE \(setup.role)"))
        #expect(text.contains("28P01"))
        expectNoSecret(text, [wrong, setup.server.adminPassword.revealSecretString()] + (try await setup.fixture.secrets), in: "the error")
        // The role's password did not change.
        #expect(await setup.login(try await setup.fixture.oldValue) == nil)
    }

    @Test func unreachableServerIsTransientAndAMissingRoleIsNot() async throws {
        let setup = try await Setup()
        defer { setup.fixture.remove() }
        let nowhere = PostgresURL(host: "127.0.0.1", port: try freeLoopbackPort(), user: "postgres",
                                  password: setup.server.adminPassword, database: "postgres", tlsMode: .disable)
        let unreachable = await #expect(throws: AdapterError.self) { _ = try await AlterRolePasswordStep(admin: nowhere).run(try setup.context()) }
        #expect(unreachable?.isTransient == true)

        let context = setup.fixture.context(try setup.fixture.plannedStep("alter-role-password", parameters: ["role": "no_such_role"]))
        let missing = await #expect(throws: AdapterError.self) { _ = try await setup.step.run(context) }
        #expect(missing?.isTransient == false)
        #expect(missing?.description.contains("42704") == true)
    }
}
