import AegisCore
import AegisPostgres
@testable import AegisStatePostgres
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

    @Test("a replica cut off inside a transaction that locks its lease row does not block the takeover")
    func cutOffInsideATransaction() async throws {
        let url = try await StoreFixture.freshDatabase()
        let proxy = try await PartitionProxy.start(to: url.port)
        var viaProxy = url
        viaProxy.port = proxy.port
        let cutOff = try PostgresStateStore(url: viaProxy, auditKey: StoreFixture.auditKey, idleTransactionLimit: .seconds(1), logger: StoreFixture.logger)
        let direct = try PostgresStateStore(url: url, auditKey: StoreFixture.auditKey, idleTransactionLimit: .seconds(1), logger: StoreFixture.logger)
        let name = LeaseName.rotation("R-1")
        let grant = try #require(try await cutOff.acquireLease(name, owner: ReplicaOwner(rawValue: "a/1"), ttl: .seconds(2)))
        // The lease row is locked by an open transaction whose client then goes silent.
        let holder = Task {
            try await cutOff.transaction("hold the lease row") { connection in
                try await cutOff.extend(grant, connection)
                proxy.partition()
                try await Task.sleep(for: .seconds(30))
            }
        }
        let cutAt = ContinuousClock.now
        let taken = try await waitForLease(name, store: direct, owner: ReplicaOwner(rawValue: "b/2"), within: .seconds(12))
        let after = ContinuousClock.now - cutAt
        #expect(taken.generation > grant.generation)
        // The lease expires 2 s after the cut; the server ends the silent transaction after 1 s.
        #expect(after < .seconds(5), "the takeover waited \(after) for the cut-off transaction's lock")
        holder.cancel()
        await cutOff.close()
        await direct.close()
        await proxy.stop()
    }

    /// Tries to take `name` every 100 ms until it is granted; throws after `within`.
    func waitForLease(_ name: LeaseName, store: PostgresStateStore, owner: ReplicaOwner, within: Duration) async throws -> LeaseGrant {
        let deadline = ContinuousClock.now + within
        while ContinuousClock.now < deadline {
            if let grant = try? await store.acquireLease(name, owner: owner, ttl: .seconds(30)) { return grant }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw ServerError("the lease on \(name) was not taken over within \(within)")
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
