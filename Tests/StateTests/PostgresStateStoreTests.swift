import AegisCore
import AegisPostgres
import AegisStatePostgres
import AegisTestServers
import Foundation
import Logging
import Testing

/// What only the PostgreSQL store has to get right: replicas that start together migrate once,
/// and a database that is down or refuses the login fails each call on time with a message that
/// names the server and never the password.
@Suite("PostgreSQL state store", .postgresServer, .timeLimit(.minutes(3)))
struct PostgresStateStoreTests {
    @Test("five replicas starting at the same moment on an empty database migrate it once")
    func simultaneousStartsMigrateOnce() async throws {
        let url = try await StoreFixture.freshDatabase()
        let stores = try (0..<5).map { _ in try PostgresStateStore(url: url, auditKey: StoreFixture.auditKey, logger: StoreFixture.logger) }
        let applied = try await withThrowingTaskGroup(of: [Int].self) { group in
            for store in stores { group.addTask { try await store.prepare() } }
            return try await group.reduce(into: [Int]()) { $0 += $1 }
        }
        #expect(applied == [1], "every migration must be applied exactly once across replicas: \(applied)")
        #expect(try await stores[0].prepare() == [], "a second prepare applied something again")
        // Every replica works on the migrated schema.
        for (index, store) in stores.enumerated() {
            try await store.appendAudit(AuditEntry(actor: "replica\(index)", action: AuditAction(rawValue: "test.start")))
        }
        #expect(try await stores[4].auditRecords().count == 5)
        for store in stores { await store.close() }
    }

    @Test("an unreachable database fails the call within the operation limit, naming the server")
    func unreachableDatabaseFailsOnTime() async throws {
        let silent = try await SilentServer.start()
        let url = PostgresURL(host: "127.0.0.1", port: silent.port, user: "aegis", password: SecretValue(utf8: "pw-never-shown-1234"),
                              database: "aegis", tlsMode: .disable)
        let store = try PostgresStateStore(url: url, auditKey: StoreFixture.auditKey, operationLimit: .seconds(2), logger: StoreFixture.logger)
        let started = ContinuousClock.now
        let error = await #expect(throws: StateStoreError.self) { try await store.rotation(id: "R-1") }
        let elapsed = ContinuousClock.now - started
        #expect(elapsed < .seconds(6), "the call took \(elapsed)")
        let message = error.map { "\($0)" } ?? ""
        #expect(message.contains("127.0.0.1:\(silent.port)"), "\(message)")
        #expect(!message.contains("pw-never-shown-1234"), "the password is in the error: \(message)")
        await store.close()
        await silent.stop()
    }

    @Test("a refused login is a clear error without the password")
    func refusedLoginIsClear() async throws {
        var url = try await StoreFixture.freshDatabase()
        url.password = SecretValue(utf8: "wrong-password-5678")
        let store = try PostgresStateStore(url: url, auditKey: StoreFixture.auditKey, operationLimit: .seconds(5), logger: StoreFixture.logger)
        let error = await #expect(throws: StateStoreError.self) { try await store.ping() }
        let message = error.map { "\($0)" } ?? ""
        #expect(message.contains("PostgreSQL at 127.0.0.1"), "\(message)")
        #expect(!message.contains("wrong-password-5678"), "the password is in the error: \(message)")
        await store.close()
    }
}
